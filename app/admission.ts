import type { Admission } from '../gateway/quota/admission';
import { unlimitedAdmission } from '../gateway/quota/admission';

export function quotaAdmission(): Admission {
  return unlimitedAdmission;
}
