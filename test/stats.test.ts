// The step statistics block has one owner (src/gpu/stats.ts); the WGSL
// struct that mirrors it must declare the same slots in the same order.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { STATS } from '../src/gpu/stats';

const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

describe('the stats block', () => {
  it('clip_update.wgsl declares STATS.slots in order, four bytes each, within byteSize', () => {
    const wgsl = readFileSync(new URL('../shaders/clip_update.wgsl', import.meta.url), 'utf8');
    const body = /struct Stats \{([^}]*)\}/.exec(wgsl)![1];
    const fields = [...body.matchAll(/(\w+)\s*:\s*(\w+)/g)].map((m) => [camel(m[1]), m[2]]);
    expect(fields.map(([n]) => n)).toEqual([...STATS.slots]);
    for (const [n, type] of fields) {
      expect(['f32', 'u32'], n).toContain(type);
      expect(STATS[n as (typeof STATS.slots)[number]], n).toBe(STATS.slots.indexOf(n as never));
    }
    expect(fields.length * 4).toBeLessThanOrEqual(STATS.byteSize);
  });

  it('decode reads each slot where STATS puts it', () => {
    const buf = new ArrayBuffer(STATS.byteSize);
    const f = new Float32Array(buf), u = new Uint32Array(buf);
    f[STATS.loss] = 1.5;
    f[STATS.gradNorm] = 2.5;
    f[STATS.clipScale] = 0.25;
    u[STATS.skipped] = 1;
    u[STATS.step] = 7;
    u[STATS.skippedTotal] = 3;
    u[STATS.clippedTotal] = 4;
    f[STATS.lr] = 0.125;
    expect(STATS.decode(buf)).toEqual({ loss: 1.5, gradNorm: 2.5, clipScale: 0.25, skipped: true, step: 7, skippedTotal: 3, clippedTotal: 4, lr: 0.125 });
  });
});
