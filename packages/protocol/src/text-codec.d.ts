// The protocol runs in browsers and in Node; both provide these two globals. Declared here
// because this package deliberately compiles without the DOM library and without Node's types.
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: Uint8Array, options?: { stream?: boolean }): string;
}
