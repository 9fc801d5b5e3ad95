import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BinaryReader } from '@bufbuild/protobuf/wire';
import { parse as parseYaml } from 'yaml';
import { definitionName, openApiV2, openApiV3, openApiV3Index, type JsonSchema } from './openapi.js';
import { encodeOpenApiV2 } from './openapi-proto.js';

type Defs = Record<string, JsonSchema & { properties?: Record<string, JsonSchema> }>;

test('definitions under Kubernetes names, with group-version-kind and patch extensions', () => {
  const defs = openApiV2()['definitions'] as Defs;
  assert.equal(definitionName('kemu.api.meta.v1.ObjectMeta'), 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
  const deploy = defs['io.k8s.api.apps.v1.Deployment']!;
  assert.deepEqual(deploy['x-kubernetes-group-version-kind'], [{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
  assert.deepEqual(deploy.properties?.['metadata'], { $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' });
  const containers = defs['io.k8s.api.core.v1.PodSpec']!.properties?.['containers'];
  assert.deepEqual(containers, {
    type: 'array',
    items: { $ref: '#/definitions/io.k8s.api.core.v1.Container' },
    'x-kubernetes-patch-merge-key': 'name',
    'x-kubernetes-patch-strategy': 'merge',
  });
  assert.deepEqual(defs['io.k8s.api.core.v1.ServicePort']!.properties?.['targetPort'], { $ref: '#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString' });
  assert.deepEqual(defs['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']!.properties?.['labels'], { type: 'object', additionalProperties: { type: 'string' } });
  for (const [name, d] of Object.entries(defs)) {
    for (const p of Object.values(d.properties ?? {})) {
      const ref = (p['$ref'] ?? (p['items'] as JsonSchema | undefined)?.['$ref']) as string | undefined;
      if (ref) assert.ok(defs[ref.replace('#/definitions/', '')], `${name} refers to ${ref}, which is defined`);
    }
  }
});

test('v3: an index of group/versions and PATCH operations that take fieldValidation', () => {
  const index = openApiV3Index(() => 'H') as { paths: Record<string, { serverRelativeURL: string }> };
  assert.deepEqual(Object.keys(index.paths), ['api/v1', 'apis/apps/v1', 'apis/coordination.k8s.io/v1', 'apis/discovery.k8s.io/v1']);
  assert.equal(index.paths['apis/apps/v1']?.serverRelativeURL, '/openapi/v3/apis/apps/v1?hash=H');
  const doc = openApiV3({ group: 'apps', version: 'v1' }) as { paths: Record<string, Record<string, JsonSchema>>; components: { schemas: Defs } };
  const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}']?.['patch'];
  assert.deepEqual(patch?.['x-kubernetes-group-version-kind'], { group: 'apps', kind: 'Deployment', version: 'v1' });
  assert.ok((patch?.['parameters'] as { name: string; in: string }[]).some((p) => p.name === 'fieldValidation' && p.in === 'query'));
  const scale = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale']?.['patch'];
  assert.deepEqual(scale?.['x-kubernetes-group-version-kind'], { group: 'autoscaling', kind: 'Scale', version: 'v1' });
  assert.deepEqual(doc.components.schemas['io.k8s.api.apps.v1.Deployment']?.properties?.['spec'], { $ref: '#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec' });
});

/** Reads gnostic's openapi_v2 protobuf back: definitions name -> {type, ref, properties, extensions}. */
function readDefinitions(bytes: Uint8Array): Map<string, { type?: string; ref?: string; props: string[]; ext: Map<string, unknown> }> {
  const out = new Map<string, { type?: string; ref?: string; props: string[]; ext: Map<string, unknown> }>();
  const doc = new BinaryReader(bytes);
  let swagger = '';
  while (doc.pos < doc.len) {
    const [no, wt] = doc.tag();
    if (no === 1) swagger = doc.string();
    else if (no === 9) {
      const defs = new BinaryReader(doc.bytes());
      while (defs.pos < defs.len) {
        defs.tag();
        const named = new BinaryReader(defs.bytes());
        let name = '';
        const s: { type?: string; ref?: string; props: string[]; ext: Map<string, unknown> } = { props: [], ext: new Map() };
        while (named.pos < named.len) {
          const [n] = named.tag();
          if (n === 1) name = named.string();
          else {
            const schema = new BinaryReader(named.bytes());
            while (schema.pos < schema.len) {
              const [f, w] = schema.tag();
              if (f === 1) s.ref = schema.string();
              else if (f === 22) {
                const t = new BinaryReader(schema.bytes());
                t.tag();
                s.type = t.string();
              }
              else if (f === 25) {
                const props = new BinaryReader(schema.bytes());
                while (props.pos < props.len) {
                  props.tag();
                  const p = new BinaryReader(props.bytes());
                  p.tag();
                  s.props.push(p.string());
                }
              } else if (f === 31) {
                const ext = new BinaryReader(schema.bytes());
                let key = '';
                while (ext.pos < ext.len) {
                  const [e] = ext.tag();
                  if (e === 1) key = ext.string();
                  else {
                    const any = new BinaryReader(ext.bytes());
                    any.tag();
                    s.ext.set(key, parseYaml(any.string()));
                  }
                }
              } else schema.skip(w);
            }
          }
        }
        out.set(name, s);
      }
    } else doc.skip(wt);
  }
  assert.equal(swagger, '2.0');
  return out;
}

test('the protobuf v2 document carries the same definitions', () => {
  const json = openApiV2()['definitions'] as Defs;
  const proto = readDefinitions(encodeOpenApiV2(openApiV2()));
  assert.deepEqual([...proto.keys()].sort(), Object.keys(json).sort());
  const pod = proto.get('io.k8s.api.core.v1.Pod')!;
  assert.deepEqual(pod.props, Object.keys(json['io.k8s.api.core.v1.Pod']!.properties!));
  assert.equal(pod.type, 'object');
  assert.deepEqual(pod.ext.get('x-kubernetes-group-version-kind'), [{ group: '', kind: 'Pod', version: 'v1' }]);
  assert.equal(proto.get('io.k8s.apimachinery.pkg.apis.meta.v1.Time')?.type, 'string');
});
