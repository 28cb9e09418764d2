/** Verdicts of the primality engines, shared by the main thread and the worker threads. */

export const PRIMALITY_RESULTS = ['prime', 'probable_prime', 'composite', 'neither'] as const;
export type PrimalityResult = (typeof PRIMALITY_RESULTS)[number];

export const PRIMALITY_METHODS = [
  'definition',
  'trial_division',
  'miller_rabin_fixed_bases',
  'baillie_psw_random_miller_rabin',
  'openssl_miller_rabin',
] as const;
export type PrimalityMethod = (typeof PRIMALITY_METHODS)[number];

export const WITNESS_TYPES = ['factor', 'miller_rabin_base'] as const;

/** Evidence that a number is composite, which a client can check with one division or one modular power. */
export interface Witness {
  type: (typeof WITNESS_TYPES)[number];
  /** The factor or the base, in decimal. */
  value: string;
}

export interface PrimalityVerdict {
  result: PrimalityResult;
  method: PrimalityMethod;
  witness?: Witness;
}
