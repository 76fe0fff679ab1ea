// `node --import ./scripts/register.mjs file.ts`: TypeScript (tsx) plus .wgsl / ?raw imports.
import { register } from 'node:module';
import 'tsx/esm';

register('./wgsl-hooks.mjs', import.meta.url);
