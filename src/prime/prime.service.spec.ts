import { isPrime } from './prime.service.js';

describe('isPrime', () => {
  it.each([61, 89, 107, 127, 521, 607, 1279])(
    'finds the Mersenne number 2^%i-1 prime',
    async (p) => {
      await expect(isPrime(2n ** BigInt(p) - 1n)).resolves.toBe(true);
    },
  );

  it.each([67, 257, 1009])('finds the Mersenne number 2^%i-1 composite', async (p) => {
    await expect(isPrime(2n ** BigInt(p) - 1n)).resolves.toBe(false);
  });

  it('finds the square of a large prime composite', async () => {
    const p = 2n ** 127n - 1n;

    await expect(isPrime(p * p)).resolves.toBe(false);
  });

  it('finds the product of two large primes composite', async () => {
    await expect(isPrime((2n ** 89n - 1n) * (2n ** 107n - 1n))).resolves.toBe(false);
  });

  it('finds 3317044064679887385961981 composite although it passes the 13 fixed bases', async () => {
    await expect(isPrime(3_317_044_064_679_887_385_961_981n)).resolves.toBe(false);
  });

  it.each([-7n, -2n, 0n, 1n])('finds %s not prime', async (n) => {
    await expect(isPrime(n)).resolves.toBe(false);
  });
});
