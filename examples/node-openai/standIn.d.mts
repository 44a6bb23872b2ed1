// Types for standIn.mjs, for the TypeScript app.
export declare const MISSING_MODEL: string;
export declare function startStandIn(): Promise<{ baseURL: string; close(): Promise<void> }>;
