/**
 * What `spanlens serve` and `spanlens run` load to receive spans: the receiver (gRPC and HTTP
 * servers) and the store worker's client. A bundle of its own (dist/cliReceiver.js), loaded only
 * by those commands: gRPC is half of the CLI's code, and `show` starts faster without compiling it.
 */
export { DEFAULT_GRPC_PORT, DEFAULT_HTTP_PORT, DEFAULT_MAX_BODY_BYTES, OtlpReceiver } from './receiver/receiver.js';
export { StoreClient } from './core/store/storeClient.js';
