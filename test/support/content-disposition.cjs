// Stand-in for the ESM-only content-disposition package, which @fastify/static (CommonJS)
// requires. Jest cannot require ES modules on Node 20, and the tests never download files,
// so the header builder is never called.
module.exports = {
  create() {
    throw new Error('content-disposition is not available under Jest');
  },
};
