// φ and φ′ of the chapter's RNN cell, in float64, defined once for every
// reference (the WGSL kernels have their own `activate`/`dactivate`).
import type { Activation } from '../util/activation';

/** φ(z): tanh (the default, as in a config without `activation`), relu or identity. */
export function phi(a: Activation | undefined, z: number): number {
  return a === 'relu' ? Math.max(z, 0) : a === 'identity' ? z : Math.tanh(z);
}

/** φ′(z) written in terms of h = φ(z) (what the backward pass has cached). */
export function dphi(a: Activation | undefined, h: number): number {
  return a === 'relu' ? (h > 0 ? 1 : 0) : a === 'identity' ? 1 : 1 - h * h;
}
