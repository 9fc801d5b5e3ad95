// The shape of the field tables scripts/gen-api.mjs writes for the strict decoder.
export type FieldKind =
  | { readonly k: 'string' | 'bool' | 'int32' | 'int64' | 'time' | 'intOrString' }
  | { readonly k: 'message'; readonly ref: string }
  | { readonly k: 'map'; readonly of: FieldKind }
  | { readonly k: 'list'; readonly of: FieldKind };

export type MessageSchema = Readonly<Record<string, FieldKind>>;
