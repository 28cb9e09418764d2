import { Environment } from '../config/environment.js';
import { PrimeService } from './prime.service.js';

describe(PrimeService.name, () => {
  let sut: PrimeService;

  beforeAll(async () => {
    sut = new PrimeService(Object.assign(new Environment(), { PRIME_WORKERS: 1 }));
    await sut.onModuleInit();
  });

  afterAll(async () => {
    await sut.onModuleDestroy();
  });

  describe('classify', () => {
    it.each([61, 89, 107, 127, 521, 607, 1279])(
      'finds the Mersenne number 2^%i-1 probably prime',
      async (p) => {
        await expect(sut.classify(2n ** BigInt(p) - 1n)).resolves.toMatchObject({
          result: p < 82 ? 'prime' : 'probable_prime',
        });
      },
    );

    it.each([67, 257, 1009])('finds the Mersenne number 2^%i-1 composite', async (p) => {
      await expect(sut.classify(2n ** BigInt(p) - 1n)).resolves.toMatchObject({
        result: 'composite',
      });
    });

    it('finds 3317044064679887385961981 composite although it passes the 13 fixed bases', async () => {
      await expect(sut.classify(3_317_044_064_679_887_385_961_981n)).resolves.toMatchObject({
        result: 'composite',
        method: 'baillie_psw_random_miller_rabin',
      });
    });

    it.each([-7n, -2n, 0n, 1n])('finds %s neither prime nor composite', async (n) => {
      await expect(sut.classify(n)).resolves.toEqual({ result: 'neither', method: 'definition' });
    });
  });
});
