import type { WireFamily } from '../types';
import { renderAnthropicError, renderAnthropicStreamError } from './errors';
import { createAnthropicMeter } from './usage';

export const anthropicFamily: WireFamily = {
  family: 'anthropic',
  renderError: renderAnthropicError,
  renderStreamError: renderAnthropicStreamError,
  createMeter: createAnthropicMeter,
};
