import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Service } from '@kemu/api';
import { envVarName, serviceEnv } from './service-env.js';

const svc = (namespace: string, name: string, clusterIP: string, ports: { name?: string; port: number; protocol?: string }[]): Service => ({
  metadata: { namespace, name },
  spec: { clusterIP, selector: { bar: 'baz' }, ports },
});

// The services and expected variables of Kubernetes' own test (pkg/kubelet/envvars TestFromServices).
const UPSTREAM: Service[] = [
  svc('ns', 'foo-bar', '1.2.3.4', [{ port: 8080, protocol: 'TCP' }]),
  svc('ns', 'abc-123', '5.6.7.8', [
    { name: 'u-d-p', port: 8081, protocol: 'UDP' },
    { name: 't-c-p', port: 8081, protocol: 'TCP' },
  ]),
  svc('ns', 'q-u-u-x', '9.8.7.6', [
    { port: 8082, protocol: 'TCP' },
    { name: '8083', port: 8083, protocol: 'TCP' },
  ]),
  svc('ns', 'svrc-clusterip-none', 'None', [{ port: 8082, protocol: 'TCP' }]),
  svc('ns', 'svrc-clusterip-empty', '', [{ port: 8082, protocol: 'TCP' }]),
  svc('ns', 'super-ipv6', '2001:DB8::', [
    { name: 'u-d-p', port: 8084, protocol: 'UDP' },
    { name: 't-c-p', port: 8084, protocol: 'TCP' },
  ]),
  svc('ns', 'sctp-1', '1.2.3.4', [{ port: 777, protocol: 'SCTP' }]),
];

const UPSTREAM_EXPECTED: Record<string, string> = {
  FOO_BAR_SERVICE_HOST: '1.2.3.4',
  FOO_BAR_SERVICE_PORT: '8080',
  FOO_BAR_PORT: 'tcp://1.2.3.4:8080',
  FOO_BAR_PORT_8080_TCP: 'tcp://1.2.3.4:8080',
  FOO_BAR_PORT_8080_TCP_PROTO: 'tcp',
  FOO_BAR_PORT_8080_TCP_PORT: '8080',
  FOO_BAR_PORT_8080_TCP_ADDR: '1.2.3.4',
  ABC_123_SERVICE_HOST: '5.6.7.8',
  ABC_123_SERVICE_PORT: '8081',
  ABC_123_SERVICE_PORT_U_D_P: '8081',
  ABC_123_SERVICE_PORT_T_C_P: '8081',
  ABC_123_PORT: 'udp://5.6.7.8:8081',
  ABC_123_PORT_8081_UDP: 'udp://5.6.7.8:8081',
  ABC_123_PORT_8081_UDP_PROTO: 'udp',
  ABC_123_PORT_8081_UDP_PORT: '8081',
  ABC_123_PORT_8081_UDP_ADDR: '5.6.7.8',
  ABC_123_PORT_8081_TCP: 'tcp://5.6.7.8:8081',
  ABC_123_PORT_8081_TCP_PROTO: 'tcp',
  ABC_123_PORT_8081_TCP_PORT: '8081',
  ABC_123_PORT_8081_TCP_ADDR: '5.6.7.8',
  Q_U_U_X_SERVICE_HOST: '9.8.7.6',
  Q_U_U_X_SERVICE_PORT: '8082',
  Q_U_U_X_SERVICE_PORT_8083: '8083',
  Q_U_U_X_PORT: 'tcp://9.8.7.6:8082',
  Q_U_U_X_PORT_8082_TCP: 'tcp://9.8.7.6:8082',
  Q_U_U_X_PORT_8082_TCP_PROTO: 'tcp',
  Q_U_U_X_PORT_8082_TCP_PORT: '8082',
  Q_U_U_X_PORT_8082_TCP_ADDR: '9.8.7.6',
  Q_U_U_X_PORT_8083_TCP: 'tcp://9.8.7.6:8083',
  Q_U_U_X_PORT_8083_TCP_PROTO: 'tcp',
  Q_U_U_X_PORT_8083_TCP_PORT: '8083',
  Q_U_U_X_PORT_8083_TCP_ADDR: '9.8.7.6',
  SUPER_IPV6_SERVICE_HOST: '2001:DB8::',
  SUPER_IPV6_SERVICE_PORT: '8084',
  SUPER_IPV6_SERVICE_PORT_U_D_P: '8084',
  SUPER_IPV6_SERVICE_PORT_T_C_P: '8084',
  SUPER_IPV6_PORT: 'udp://[2001:DB8::]:8084',
  SUPER_IPV6_PORT_8084_UDP: 'udp://[2001:DB8::]:8084',
  SUPER_IPV6_PORT_8084_UDP_PROTO: 'udp',
  SUPER_IPV6_PORT_8084_UDP_PORT: '8084',
  SUPER_IPV6_PORT_8084_UDP_ADDR: '2001:DB8::',
  SUPER_IPV6_PORT_8084_TCP: 'tcp://[2001:DB8::]:8084',
  SUPER_IPV6_PORT_8084_TCP_PROTO: 'tcp',
  SUPER_IPV6_PORT_8084_TCP_PORT: '8084',
  SUPER_IPV6_PORT_8084_TCP_ADDR: '2001:DB8::',
  SCTP_1_SERVICE_HOST: '1.2.3.4',
  SCTP_1_SERVICE_PORT: '777',
  SCTP_1_PORT: 'sctp://1.2.3.4:777',
  SCTP_1_PORT_777_SCTP: 'sctp://1.2.3.4:777',
  SCTP_1_PORT_777_SCTP_PROTO: 'sctp',
  SCTP_1_PORT_777_SCTP_PORT: '777',
  SCTP_1_PORT_777_SCTP_ADDR: '1.2.3.4',
};

const KUBERNETES = svc('default', 'kubernetes', '127.96.0.1', [{ name: 'https', port: 443, protocol: 'TCP' }]);

test("the variables of Kubernetes' FromServices test, and none for headless or IP-less Services", () => {
  assert.deepEqual(Object.fromEntries(serviceEnv(UPSTREAM, 'ns', true)), UPSTREAM_EXPECTED);
});

test('the kubernetes Service of default is in every namespace, with or without service links', () => {
  const kube = {
    KUBERNETES_SERVICE_HOST: '127.96.0.1',
    KUBERNETES_SERVICE_PORT: '443',
    KUBERNETES_SERVICE_PORT_HTTPS: '443',
    KUBERNETES_PORT: 'tcp://127.96.0.1:443',
    KUBERNETES_PORT_443_TCP: 'tcp://127.96.0.1:443',
    KUBERNETES_PORT_443_TCP_PROTO: 'tcp',
    KUBERNETES_PORT_443_TCP_PORT: '443',
    KUBERNETES_PORT_443_TCP_ADDR: '127.96.0.1',
  };
  const all = [KUBERNETES, ...UPSTREAM];
  assert.deepEqual(Object.fromEntries(serviceEnv(all, 'ns', false)), kube, 'enableServiceLinks: false keeps only the master service');
  assert.deepEqual(Object.fromEntries(serviceEnv(all, 'other', true)), kube, "another namespace's Services are not seen");
  assert.deepEqual(Object.fromEntries(serviceEnv(all, 'ns', true)), { ...kube, ...UPSTREAM_EXPECTED });
  assert.equal(serviceEnv(all, 'default', true).get('KUBERNETES_SERVICE_HOST'), '127.96.0.1');
});

test("a Service named kubernetes in the pod's namespace takes the place of default's when links are on", () => {
  const own = svc('ns', 'kubernetes', '127.96.5.5', [{ port: 80 }]);
  const env = serviceEnv([KUBERNETES, own], 'ns', true);
  assert.equal(env.get('KUBERNETES_SERVICE_HOST'), '127.96.5.5');
  assert.equal(env.get('KUBERNETES_SERVICE_PORT_HTTPS'), undefined);
  assert.equal(env.get('KUBERNETES_PORT'), 'tcp://127.96.5.5:80', 'protocol defaults to TCP');
  assert.equal(serviceEnv([own, KUBERNETES], 'ns', false).get('KUBERNETES_SERVICE_HOST'), '127.96.0.1');
});

test('variable names: upper case, dashes to underscores', () => {
  assert.equal(envVarName('my-svc'), 'MY_SVC');
  assert.equal(envVarName('8083'), '8083');
  assert.equal(envVarName('1st-svc'), '1ST_SVC');
});

test("per Service, the variables come in the kubelet's order", () => {
  const names = [...serviceEnv([UPSTREAM[1]!], 'ns', true).keys()];
  assert.deepEqual(names.slice(0, 5), ['ABC_123_SERVICE_HOST', 'ABC_123_SERVICE_PORT', 'ABC_123_SERVICE_PORT_U_D_P', 'ABC_123_SERVICE_PORT_T_C_P', 'ABC_123_PORT']);
});
