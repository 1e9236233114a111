import type { WireFamily } from '../types';
import { renderOpenAiError, renderOpenAiStreamError } from './errors';
import { createOpenAiMeter } from './usage';

export const openAiFamily: WireFamily = {
  family: 'openai',
  renderError: renderOpenAiError,
  renderStreamError: renderOpenAiStreamError,
  createMeter: createOpenAiMeter,
};

export { isUsageOnlyChunk } from './usage';
export { renderResponsesStreamError } from './errors';
