declare module '*.wgsl' {
  /** The WGSL source text of the file, as is. */
  const source: string;
  export default source;
}
