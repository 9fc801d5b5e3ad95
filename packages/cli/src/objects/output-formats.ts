/** What `-o` accepts besides the default table (light: the CLI's help lists it). */
export const OUTPUT_FORMATS = ['wide', 'yaml', 'json', 'name'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
