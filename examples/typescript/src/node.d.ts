// The few Node.js APIs the example uses, declared here so that it needs no @types/node
// (fetch, FormData, Blob, Response and crypto come from the DOM library, as in a browser).
declare const process: {
  readonly env: { readonly [name: string]: string | undefined };
  exitCode: number | undefined;
};

declare module "node:zlib" {
  export function deflateSync(data: Uint8Array): Uint8Array;
}
