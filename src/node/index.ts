// Node-only helpers: a WebGPU device through Dawn, The Time Machine loader, TF.js model folders.
export { createNodeDevice, chooseDriver, nodeGpu, SWIFTSHADER_ICD, type NodeDeviceOptions, type DriverChoice } from './device';
export { loadTimeMachine, downloadVerified, sha1Hex, cacheDir, TIME_MACHINE, type Fetcher } from './timemachine';
export { readTfjsFolder } from '../interop/tfjs-node';
