// Node-only helpers: a WebGPU device through Dawn, The Time Machine loader.
export { createNodeDevice, chooseDriver, nodeGpu, SWIFTSHADER_ICD, type NodeDeviceOptions, type DriverChoice } from './device';
export { loadTimeMachine, downloadVerified, sha1Hex, cacheDir, TIME_MACHINE, type Fetcher } from './timemachine';
