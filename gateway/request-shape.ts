import type { IncomingHttpHeaders } from 'node:http';
import type { Endpoint, Family } from './providers/types';

/** What a request path says about the call: which wire format, which endpoint, and (Gemini) the model. */
export interface CallShape {
  family: Family;
  endpoint: Endpoint;
  /** Gemini puts the model in the path; the others in the body. */
  pathModel?: string;
  /** Gemini API version from the path (`v1beta`, `v1`), kept upstream. */
  apiVersion?: string;
  /** Model listings are answered by the gateway itself, filtered per caller. */
  isModelList: boolean;
  allowedMethods: string;
}

const OPENAI_PATHS: Record<string, Endpoint> = {
  '/v1/chat/completions': 'chat',
  '/v1/responses': 'responses',
  '/v1/embeddings': 'embeddings',
  '/v1/completions': 'completions',
};

const ANTHROPIC_PATHS: Record<string, Endpoint> = {
  '/v1/messages': 'messages',
  '/v1/messages/count_tokens': 'count_tokens',
};

const GEMINI_METHODS = new Set<Endpoint>(['generateContent', 'streamGenerateContent', 'countTokens', 'embedContent', 'batchEmbedContents']);
const GEMINI_CALL = /^\/(v1beta|v1|v1alpha)\/(models|tunedModels)\/([A-Za-z0-9][A-Za-z0-9._-]{0,127}):([A-Za-z]+)$/;
const GEMINI_LIST = /^\/(v1beta|v1|v1alpha)\/models\/?$/;

/**
 * `/v1/models` is shared by OpenAI and Anthropic: Anthropic-shaped callers send `anthropic-version`
 * (the SDKs always do), so that header decides.
 */
export function familyFromPath(pathname: string, headers: IncomingHttpHeaders): Family {
  if (pathname.startsWith('/v1beta') || pathname.startsWith('/v1alpha') || /^\/v1\/(models|tunedModels)\/[^/]+:/.test(pathname)) return 'gemini';
  if (headers['anthropic-version'] !== undefined || pathname.startsWith('/v1/messages')) return 'anthropic';
  return 'openai';
}

/** null: no such endpoint (the caller gets a 404 in the format `familyFromPath` implies). */
export function recognizeCall(pathname: string, headers: IncomingHttpHeaders): CallShape | null {
  const openai = OPENAI_PATHS[pathname];
  if (openai) return { family: 'openai', endpoint: openai, isModelList: false, allowedMethods: 'POST' };
  const anthropic = ANTHROPIC_PATHS[pathname];
  if (anthropic) return { family: 'anthropic', endpoint: anthropic, isModelList: false, allowedMethods: 'POST' };
  if (pathname === '/v1/models' || pathname === '/v1/models/') {
    const family = headers['anthropic-version'] !== undefined ? 'anthropic' : 'openai';
    return { family, endpoint: 'models', isModelList: true, allowedMethods: 'GET' };
  }
  const gemini = GEMINI_CALL.exec(pathname);
  if (gemini) {
    const method = gemini[4] as Endpoint;
    if (!GEMINI_METHODS.has(method) || gemini[3].includes('..')) return null;
    const pathModel = gemini[2] === 'tunedModels' ? `tunedModels/${gemini[3]}` : gemini[3];
    return { family: 'gemini', endpoint: method, pathModel, apiVersion: gemini[1], isModelList: false, allowedMethods: 'POST' };
  }
  if (GEMINI_LIST.test(pathname)) {
    const version = /^\/(v1beta|v1|v1alpha)\//.exec(pathname)![1];
    return { family: 'gemini', endpoint: 'models', apiVersion: version, isModelList: true, allowedMethods: 'GET' };
  }
  return null;
}
