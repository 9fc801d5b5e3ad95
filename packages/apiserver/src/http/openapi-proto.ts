import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { stringify as toYaml } from 'yaml';
import type { JsonSchema } from './openapi.js';

/**
 * The OpenAPI v2 document in the protobuf form kubectl asks for first
 * (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`): gnostic's
 * openapi_v2.Document (google/gnostic openapiv2/OpenAPIv2.proto). Only the messages
 * kemu's document uses are written: Document.swagger/info/definitions and the Schema
 * fields of openapi.ts; vendor extensions are NamedAny with the value as YAML, which
 * is how gnostic carries them.
 */

// Field numbers of gnostic's openapi_v2 messages.
const DOCUMENT = { swagger: 1, info: 2, paths: 8, definitions: 9 } as const;
const INFO = { title: 1, version: 2 } as const;
const NAMED = { name: 1, value: 2 } as const;
const ANY = { yaml: 2 } as const;
const SCHEMA = {
  ref: 1,
  format: 2,
  description: 4,
  required: 19,
  additionalProperties: 21,
  type: 22,
  items: 23,
  properties: 25,
  vendorExtension: 31,
} as const;
const ADDITIONAL_PROPERTIES_ITEM = { schema: 1, boolean: 2 } as const;
const REPEATED_ITEMS = 1; // Definitions, Properties: additional_properties; TypeItem: value; ItemsItem: schema

function message(w: BinaryWriter, field: number, body: (w: BinaryWriter) => void): void {
  w.tag(field, WireType.LengthDelimited).fork();
  body(w);
  w.join();
}

function str(w: BinaryWriter, field: number, s: string): void {
  w.tag(field, WireType.LengthDelimited).string(s);
}

function schemaBody(w: BinaryWriter, s: JsonSchema): void {
  for (const [key, v] of Object.entries(s)) {
    switch (key) {
      case '$ref':
        str(w, SCHEMA.ref, String(v));
        break;
      case 'format':
        str(w, SCHEMA.format, String(v));
        break;
      case 'description':
        str(w, SCHEMA.description, String(v));
        break;
      case 'required':
        for (const r of v as string[]) str(w, SCHEMA.required, r);
        break;
      case 'type':
        message(w, SCHEMA.type, (t) => str(t, REPEATED_ITEMS, String(v)));
        break;
      case 'items':
        message(w, SCHEMA.items, (t) => message(t, REPEATED_ITEMS, (u) => schemaBody(u, v as JsonSchema)));
        break;
      case 'additionalProperties':
        message(w, SCHEMA.additionalProperties, (t) => {
          if (typeof v === 'boolean') t.tag(ADDITIONAL_PROPERTIES_ITEM.boolean, WireType.Varint).bool(v);
          else message(t, ADDITIONAL_PROPERTIES_ITEM.schema, (u) => schemaBody(u, v as JsonSchema));
        });
        break;
      case 'properties':
        message(w, SCHEMA.properties, (t) => {
          for (const [name, sub] of Object.entries(v as Record<string, JsonSchema>)) {
            message(t, REPEATED_ITEMS, (u) => {
              str(u, NAMED.name, name);
              message(u, NAMED.value, (x) => schemaBody(x, sub));
            });
          }
        });
        break;
      default:
        if (key.startsWith('x-')) {
          message(w, SCHEMA.vendorExtension, (t) => {
            str(t, NAMED.name, key);
            message(t, NAMED.value, (u) => str(u, ANY.yaml, toYaml(v)));
          });
        }
    }
  }
}

/** Encodes the v2 document openApiV2() builds. */
export function encodeOpenApiV2(doc: JsonSchema): Uint8Array {
  const w = new BinaryWriter();
  str(w, DOCUMENT.swagger, String(doc['swagger']));
  const info = doc['info'] as Record<string, string>;
  message(w, DOCUMENT.info, (t) => {
    str(t, INFO.title, info['title'] ?? '');
    str(t, INFO.version, info['version'] ?? '');
  });
  message(w, DOCUMENT.paths, () => undefined);
  message(w, DOCUMENT.definitions, (t) => {
    for (const [name, s] of Object.entries(doc['definitions'] as Record<string, JsonSchema>)) {
      message(t, REPEATED_ITEMS, (u) => {
        str(u, NAMED.name, name);
        message(u, NAMED.value, (x) => schemaBody(x, s));
      });
    }
  });
  return w.finish();
}
