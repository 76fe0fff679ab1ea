// Which flags Chromium gets (e2e/browser.ts): SwiftShader's, unchanged, with
// no GPU; Vulkan through ANGLE when a GPU device file exists or BPTT_GPU=1.
// The detection reads an injected environment and file system here, so every
// case runs on this machine (which has no GPU).
import { describe, it, expect } from 'vitest';
import { detectGpu, chromiumFlags, SWIFTSHADER_ARGS, GPU_ARGS, CHROMIUM_ARGS, CHROMIUM_FLAGS_CHOICE } from '../e2e/browser';
import { dawnFlags } from '../src/node/device';

/** A file system holding exactly `files`. */
const fs = (files: string[]) => ({
  exists: (p: string) => files.includes(p),
  list: (dir: string) => {
    const inDir = files.filter((f) => f.startsWith(dir + '/')).map((f) => f.slice(dir.length + 1));
    if (!inDir.length) throw Object.assign(new Error(`ENOENT: ${dir}`), { code: 'ENOENT' });
    return inDir;
  },
});
const detect = (env: Record<string, string>, files: string[]) => detectGpu(env, fs(files).exists, fs(files).list);

describe('Chromium flags for WebGPU in headless mode', () => {
  it('no GPU: SwiftShader, the flags this project has always launched with, and workgroup memory zeroed by the shader', () => {
    // the list e2e/browser.ts had before GPU flags existed, written out here, with the Dawn switch that keeps compile time flat (src/node/device.ts dawnFlags)
    expect(SWIFTSHADER_ARGS).toEqual(['--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', '--disable-dawn-features=use_vulkan_zero_initialize_workgroup_memory_extension', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']);
    const c = detect({}, ['/dev/null', '/dev/dri/card0']);
    expect(c).toEqual({ gpu: false, why: 'no /dev/nvidia* or /dev/dri/renderD*' });
    expect(chromiumFlags(c)).toEqual({ args: SWIFTSHADER_ARGS, describe: 'Chromium flags: SwiftShader (no GPU), because no /dev/nvidia* or /dev/dri/renderD*' });
  });

  it('a GPU device file: Vulkan through ANGLE, no Vulkan surface, WebGPU on, no SwiftShader flag', () => {
    expect(detect({}, ['/dev/nvidiactl', '/dev/nvidia0'])).toEqual({ gpu: true, why: '/dev/nvidia0 present' });
    expect(detect({}, ['/dev/dri/card1', '/dev/dri/renderD128'])).toEqual({ gpu: true, why: '/dev/dri/renderD128 present' });
    const f = chromiumFlags(detect({}, ['/dev/dri/renderD128']));
    expect(f.describe).toBe('Chromium flags: GPU (Vulkan through ANGLE), because /dev/dri/renderD128 present');
    expect(f.args).toBe(GPU_ARGS);
    for (const a of ['--headless=new', '--enable-unsafe-webgpu', '--use-angle=vulkan', '--disable-vulkan-surface', '--ignore-gpu-blocklist', '--enable-webgpu-developer-features']) expect(f.args).toContain(a);
    const features = f.args.find((a) => a.startsWith('--enable-features='))!.slice('--enable-features='.length).split(',');
    expect(features).toEqual(expect.arrayContaining(['Vulkan', 'VulkanFromANGLE', 'DefaultANGLEVulkan']));
    expect(f.args).not.toContain('--enable-unsafe-swiftshader');
  });

  it('BPTT_GPU overrides the detection either way, and a value other than 0 or 1 is refused', () => {
    expect(detect({ BPTT_GPU: '1' }, [])).toEqual({ gpu: true, why: 'BPTT_GPU=1' });
    expect(detect({ BPTT_GPU: '0' }, ['/dev/nvidia0'])).toEqual({ gpu: false, why: 'BPTT_GPU=0' });
    expect(detect({ BPTT_GPU: '' }, ['/dev/nvidia0']).gpu).toBe(true); // empty: unset
    expect(() => detect({ BPTT_GPU: 'yes' }, [])).toThrow('BPTT_GPU=yes: expected 1 (use the GPU flags) or 0 (SwiftShader');
  });

  it('the launch flags are the ones the detection chose for this machine, and say so', () => {
    const here = chromiumFlags(detectGpu());
    expect(CHROMIUM_ARGS).toEqual(here.args);
    expect(CHROMIUM_FLAGS_CHOICE).toBe(here.describe);
  });
});

describe("Dawn's flags in Node", () => {
  it('on SwiftShader, the same switch as Chromium: workgroup memory zeroed by the shader; other drivers keep Dawn\'s default', () => {
    expect(dawnFlags('SwiftShader')).toEqual(['disable-dawn-features=use_vulkan_zero_initialize_workgroup_memory_extension']);
    expect(SWIFTSHADER_ARGS).toContain(`--${dawnFlags('SwiftShader')[0]}`);
    expect(dawnFlags('/usr/lib/chromium/vk_swiftshader_icd.json')).toEqual(dawnFlags('SwiftShader')); // a caller's VK_ICD_FILENAMES
    expect(dawnFlags('/usr/share/vulkan/icd.d/nvidia_icd.json')).toEqual([]);
    expect(GPU_ARGS.some((a) => a.includes('dawn-features'))).toBe(false);
  });
});
