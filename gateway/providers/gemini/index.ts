import type { WireFamily } from '../types';
import { renderGeminiError, renderGeminiStreamError } from './errors';
import { createGeminiMeter } from './usage';

export const geminiFamily: WireFamily = {
  family: 'gemini',
  renderError: renderGeminiError,
  renderStreamError: renderGeminiStreamError,
  createMeter: createGeminiMeter,
};
