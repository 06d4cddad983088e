// The harness integration and interop specs share: a real cluster in a temp dir on free ports, a real
// etcd alone, and the CLI as a subprocess. Everything started here is registered so `cleanup()`
// (call it from afterAll) stops it, and a process 'exit' hook SIGKILLs whatever is left.
export * from './test-cluster';
export * from './run-cli';
export * from './repo-root';
export * from './run-process';
export * from './internal-tls';
export * from './otlp-payload';
