/**
 * The local control plane for development and end-to-end tests: etcd,
 * kube-apiserver, kube-controller-manager and an OpenBao dev server, as real
 * processes on 127.0.0.1 (see docs in cluster.ts and openbao.ts).
 */
export { up, down, status, loadEnv, stopComponent, startComponent } from './cluster.ts';
export type { DevEnvOptions, UpOptions, DownOptions, ComponentStatus, DevEnvStatus } from './cluster.ts';
export type { DevEnv } from './dev-env.ts';
export { configureOpenBao, baoCall, baoExpect, TOKEN_REVIEWER } from './openbao.ts';
export { kubeCall, kubeExpect, requestServiceAccountToken } from './kube-admin.ts';
export type { KubeCallOptions } from './kube-admin.ts';
export type { HttpResponse } from './http.ts';
export { componentNames, defaultStateDir } from './state.ts';
export type { ComponentName, Ports } from './state.ts';
export { controllers } from './components.ts';
export { compactEtcd, etcdRevision } from './etcd.ts';
export { proxyApiserver, startPartitionProxy } from './partition.ts';
export type { PartitionProxy } from './partition.ts';
