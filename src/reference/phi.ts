// φ and φ′ of the chapter's RNN cell, in float64, defined once for every
// reference (the WGSL kernels have their own `activate`/`dactivate`).
import type { Activation } from '../kernels/kernel';

/** φ(z): tanh, relu or identity. */
export function phi(a: Activation, z: number): number {
  return a === 'tanh' ? Math.tanh(z) : a === 'relu' ? Math.max(z, 0) : z;
}

/** φ′(z) written in terms of h = φ(z) (what the backward pass has cached). */
export function dphi(a: Activation, h: number): number {
  return a === 'tanh' ? 1 - h * h : a === 'relu' ? (h > 0 ? 1 : 0) : 1;
}
