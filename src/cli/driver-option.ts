// The --driver option of the commands that create a WebGPU device (train, sample, gradcheck).
import type { OptionSpec } from './args';

/** `--driver auto|swiftshader|system`. */
export const DRIVER_OPTION: OptionSpec = {
  type: 'string',
  value: 'auto|swiftshader|system',
  default: 'auto',
  help: 'Vulkan driver for Dawn: auto picks a GPU driver when the machine has a GPU,\nelse SwiftShader from Debian\'s chromium',
};
