// Which adapter a benchmark ran on, said in every report, and the refusal of
// a software adapter under --require-gpu (so a run on a GPU machine cannot
// silently measure the CPU).
import { adapterName, softwareAdapterReason, type AdapterIdentity } from '../src/gpu/device';

/** "**vendor / architecture / device / description**", with "software adapter (why)" after it when it runs on the CPU. */
export function adapterHeader(info: AdapterIdentity | null): string {
  const why = softwareAdapterReason(info);
  return `**${adapterName(info)}**${why ? ` (software adapter: ${why}; these times are the CPU's, not a GPU's)` : ''}`;
}

/** What --require-gpu says about this adapter: null for a hardware one, else why the run stops. */
export function requireGpuRefusal(info: AdapterIdentity | null): string | null {
  if (!info) return 'bench --require-gpu: no adapter information (no WebGPU adapter, or no GPUAdapterInfo), so it cannot be shown to be a GPU; no workload was run';
  const why = softwareAdapterReason(info);
  return why ? `bench --require-gpu: the adapter is a software adapter, ${adapterName(info)} (${why}); no workload was run` : null;
}
