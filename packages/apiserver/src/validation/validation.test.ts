import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ResourceName, ResourceTypes } from '@kemu/api';
import {
  OPTS,
  createErrors,
  deployment,
  endpointSlice,
  endpoints,
  lease,
  namespace,
  node,
  pod,
  replicaSet,
  service,
} from './test-objects.js';

// Kubernetes' texts, spelled out once.
const DNS1035 = (v: string): string =>
  `Invalid value: "${v}": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, ` +
  `and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`;
const DNS1123_LABEL = (v: string): string =>
  `Invalid value: "${v}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end ` +
  `with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`;
const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an " +
  "alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an " +
  "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const NAME_PART_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character " +
  "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const PORT_RANGE = 'must be between 1 and 65535, inclusive';
const EFFECTS = 'supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"';

interface Case {
  name: string;
  resource: ResourceName;
  obj: ResourceTypes[ResourceName];
  want: string[];
}

function svc(edit: (s: ResourceTypes['services']) => void): ResourceTypes['services'] {
  const s = service();
  edit(s);
  return s;
}
function pd(edit: (p: ResourceTypes['pods']) => void): ResourceTypes['pods'] {
  const p = pod();
  edit(p);
  return p;
}
function dep(edit: (d: ResourceTypes['deployments']) => void): ResourceTypes['deployments'] {
  const d = deployment();
  edit(d);
  return d;
}
function edited<T>(obj: T, edit: (o: T) => void): T {
  edit(obj);
  return obj;
}

const INVALID: Case[] = [
  // ---- ObjectMeta ----
  { name: 'service name is a DNS-1035 label', resource: 'services', obj: svc((s) => (s.metadata!.name = 'Web')), want: [`metadata.name: ${DNS1035('Web')}`] },
  {
    name: 'service name may not start with a digit',
    resource: 'services',
    obj: svc((s) => (s.metadata!.name = '1web')),
    want: [`metadata.name: ${DNS1035('1web')}`],
  },
  {
    name: 'name is required without generateName',
    resource: 'pods',
    obj: pd((p) => delete p.metadata!.name),
    want: ['metadata.name: Required value: name or generateName is required'],
  },
  { name: 'namespaced kinds need a namespace', resource: 'pods', obj: pd((p) => delete p.metadata!.namespace), want: ['metadata.namespace: Required value'] },
  {
    name: 'cluster-scoped kinds may not have a namespace',
    resource: 'nodes',
    obj: edited(node(), (n) => (n.metadata!.namespace = 'default')),
    want: ['metadata.namespace: Forbidden: not allowed on this type'],
  },
  {
    name: 'label key name part',
    resource: 'services',
    obj: svc((s) => (s.metadata!.labels = { '-bad': 'x' })),
    want: [`metadata.labels: Invalid value: "-bad": ${NAME_PART_MSG}`],
  },
  {
    name: 'label key prefix is a lowercase subdomain',
    resource: 'services',
    obj: svc((s) => (s.metadata!.labels = { 'Example.com/x': 'y' })),
    want: [`metadata.labels: Invalid value: "Example.com/x": prefix part ${DNS1123_SUBDOMAIN_MSG}`],
  },
  {
    name: 'unqualified finalizers must be standard ones',
    resource: 'pods',
    obj: pd((p) => (p.metadata!.finalizers = ['custom'])),
    want: ['metadata.finalizers[0]: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified'],
  },
  {
    name: 'env valueFrom.fieldRef reads only the downward API paths, and not together with value',
    resource: 'pods',
    obj: pd((p) => {
      p.spec!.containers![0]!.env = [
        { name: 'A', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.phase' } } },
        { name: 'B', value: 'x', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
        { name: 'C', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.labels['app']" } } },
      ];
    }),
    want: [
      'spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Unsupported value: "status.phase": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"',
      'spec.containers[0].env[1].valueFrom: Invalid value: "": may not be specified when `value` is not empty',
    ],
  },
  {
    name: 'owner references need a uid (reported without an index)',
    resource: 'pods',
    obj: pd((p) => (p.metadata!.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs' }])),
    want: ['metadata.ownerReferences.uid: Invalid value: "": must not be empty'],
  },
  {
    name: 'annotations are limited to 256 KiB in total',
    resource: 'pods',
    obj: pd((p) => (p.metadata!.annotations = { a: 'x'.repeat(262144) })),
    want: ['metadata.annotations: Too long: may not be more than 262144 bytes'],
  },

  // ---- Service ----
  { name: 'ports are required', resource: 'services', obj: svc((s) => (s.spec!.ports = [])), want: ['spec.ports: Required value'] },
  {
    name: 'port 0 (and the targetPort it defaults)',
    resource: 'services',
    obj: svc((s) => (s.spec!.ports = [{ port: 0 }])),
    want: [`spec.ports[0].port: Invalid value: 0: ${PORT_RANGE}`, `spec.ports[0].targetPort: Invalid value: 0: ${PORT_RANGE}`],
  },
  {
    name: 'port above 65535',
    resource: 'services',
    obj: svc((s) => (s.spec!.ports = [{ port: 70000, targetPort: 8080 }])),
    want: [`spec.ports[0].port: Invalid value: 70000: ${PORT_RANGE}`],
  },
  {
    name: 'protocol',
    resource: 'services',
    obj: svc((s) => (s.spec!.ports![0]!.protocol = 'FOO')),
    want: ['spec.ports[0].protocol: Unsupported value: "FOO": supported values: "SCTP", "TCP", "UDP"'],
  },
  {
    name: 'port names are required when there are several ports',
    resource: 'services',
    obj: svc((s) => (s.spec!.ports = [{ port: 80 }, { port: 81 }])),
    want: ['spec.ports[0].name: Required value', 'spec.ports[1].name: Required value'],
  },
  {
    name: 'duplicate port names',
    resource: 'services',
    obj: svc((s) => (s.spec!.ports = [{ name: 'http', port: 80 }, { name: 'http', port: 81 }])),
    want: ['spec.ports[1].name: Duplicate value: "http"'],
  },
  {
    name: 'duplicate port and protocol',
    resource: 'services',
    obj: svc((s) => (s.spec!.ports = [{ name: 'a', port: 80 }, { name: 'b', port: 80 }])),
    want: [
      'spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, ' +
        'TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}',
    ],
  },
  {
    name: 'port names are DNS-1123 labels',
    resource: 'services',
    obj: svc((s) => (s.spec!.ports = [{ name: 'HTTP', port: 80 }])),
    want: [`spec.ports[0].name: ${DNS1123_LABEL('HTTP')}`],
  },
  {
    name: 'named targetPort is an IANA service name',
    resource: 'services',
    obj: svc((s) => (s.spec!.ports = [{ port: 80, targetPort: 'web_ui' }])),
    want: ['spec.ports[0].targetPort: Invalid value: "web_ui": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)'],
  },
  {
    name: 'appProtocol is a qualified name',
    resource: 'services',
    obj: svc((s) => (s.spec!.ports![0]!.appProtocol = '-h2c')),
    want: [`spec.ports[0].appProtocol: Invalid value: "-h2c": ${NAME_PART_MSG}`],
  },
  {
    name: 'nodePort outside the node-port range',
    resource: 'services',
    obj: svc((s) => {
      s.spec!.type = 'NodePort';
      s.spec!.ports![0]!.nodePort = 29999;
    }),
    want: ['spec.ports[0].nodePort: Invalid value: 29999: provided port is not in the valid range. The range of valid ports is 30000-32767'],
  },
  {
    name: 'nodePort on a ClusterIP service',
    resource: 'services',
    obj: svc((s) => (s.spec!.ports![0]!.nodePort = 30080)),
    want: ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"],
  },
  {
    name: 'service type',
    resource: 'services',
    obj: svc((s) => (s.spec!.type = 'Foo')),
    want: ['spec.type: Unsupported value: "Foo": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"'],
  },
  {
    name: 'ExternalName needs externalName',
    resource: 'services',
    obj: svc((s) => {
      s.spec!.type = 'ExternalName';
      s.spec!.ports = [];
    }),
    want: ['spec.externalName: Required value'],
  },
  {
    name: 'externalName is a lowercase subdomain',
    resource: 'services',
    obj: svc((s) => {
      s.spec!.type = 'ExternalName';
      s.spec!.externalName = 'Foo.Example.com';
    }),
    want: [`spec.externalName: Invalid value: "Foo.Example.com": ${DNS1123_SUBDOMAIN_MSG}`],
  },
  {
    name: 'ExternalName may not have a clusterIP',
    resource: 'services',
    obj: svc((s) => {
      s.spec!.type = 'ExternalName';
      s.spec!.externalName = 'db.example.com';
      s.spec!.clusterIP = '127.96.0.10';
    }),
    want: ['spec.clusterIPs: Forbidden: may not be set for ExternalName services'],
  },
  {
    name: 'headless NodePort',
    resource: 'services',
    obj: svc((s) => {
      s.spec!.type = 'NodePort';
      s.spec!.clusterIP = 'None';
    }),
    want: [`spec.clusterIPs[0]: Invalid value: "None": may not be set to 'None' for NodePort services`],
  },
  {
    name: 'clusterIP must be an IP',
    resource: 'services',
    obj: svc((s) => (s.spec!.clusterIP = 'abc')),
    want: ['spec.clusterIPs[0]: Invalid value: "abc": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'],
  },
  {
    name: 'clusterIP outside the service CIDR',
    resource: 'services',
    obj: svc((s) => (s.spec!.clusterIP = '10.0.0.1')),
    want: [
      'spec.clusterIPs: Invalid value: []string{"10.0.0.1"}: failed to allocate IP 10.0.0.1: the provided IP (10.0.0.1) is not in the valid range. ' +
        'The range of valid IPs is 127.96.0.0/16',
    ],
  },
  {
    name: "the service CIDR's network address is not allocatable",
    resource: 'services',
    obj: svc((s) => (s.spec!.clusterIP = '127.96.0.0')),
    want: [
      'spec.clusterIPs: Invalid value: []string{"127.96.0.0"}: failed to allocate IP 127.96.0.0: the provided IP (127.96.0.0) is not in the valid range. ' +
        'The range of valid IPs is 127.96.0.0/16',
    ],
  },
  {
    name: 'IPv6 clusterIP on an IPv4 cluster',
    resource: 'services',
    obj: svc((s) => (s.spec!.clusterIP = 'fd00::1')),
    want: ['spec.clusterIPs[0]: Invalid value: []string{"fd00::1"}: IPv6 is not configured on this cluster'],
  },
  {
    name: 'RequireDualStack on a single-stack cluster',
    resource: 'services',
    obj: svc((s) => (s.spec!.ipFamilyPolicy = 'RequireDualStack')),
    want: ['spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services'],
  },
  {
    name: 'session affinity',
    resource: 'services',
    obj: svc((s) => (s.spec!.sessionAffinity = 'Sticky')),
    want: ['spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"'],
  },
  {
    name: 'ClientIP timeout at most a day',
    resource: 'services',
    obj: svc((s) => {
      s.spec!.sessionAffinity = 'ClientIP';
      s.spec!.sessionAffinityConfig = { clientIP: { timeoutSeconds: 90000 } };
    }),
    want: ['spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 90000: must be greater than 0 and less than 86400'],
  },
  {
    name: 'externalTrafficPolicy only for externally-accessible services',
    resource: 'services',
    obj: svc((s) => (s.spec!.externalTrafficPolicy = 'Local')),
    want: ['spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services'],
  },
  {
    name: 'externalTrafficPolicy values',
    resource: 'services',
    obj: svc((s) => {
      s.spec!.type = 'NodePort';
      s.spec!.externalTrafficPolicy = 'Everywhere';
    }),
    want: ['spec.externalTrafficPolicy: Unsupported value: "Everywhere": supported values: "Cluster", "Local"'],
  },
  {
    name: 'internalTrafficPolicy values',
    resource: 'services',
    obj: svc((s) => (s.spec!.internalTrafficPolicy = 'Nearby')),
    want: ['spec.internalTrafficPolicy: Unsupported value: "Nearby": supported values: "Cluster", "Local"'],
  },
  {
    name: 'healthCheckNodePort only for LoadBalancer with Local',
    resource: 'services',
    obj: svc((s) => {
      s.spec!.type = 'NodePort';
      s.spec!.healthCheckNodePort = 30100;
    }),
    want: ["spec.healthCheckNodePort: Invalid value: 30100: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"],
  },
  {
    name: 'selector values are label values',
    resource: 'services',
    obj: svc((s) => (s.spec!.selector = { app: 'web!' })),
    want: [`spec.selector: Invalid value: "web!": ${LABEL_VALUE_MSG}`],
  },
  {
    name: 'loadBalancerSourceRanges are CIDRs (Kubernetes capitalises this path)',
    resource: 'services',
    obj: svc((s) => {
      s.spec!.type = 'LoadBalancer';
      s.spec!.loadBalancerSourceRanges = ['10.0.0.0/33'];
    }),
    want: ['spec.LoadBalancerSourceRanges[0]: Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'],
  },
  {
    name: 'externalIPs may not be loopback',
    resource: 'services',
    obj: svc((s) => (s.spec!.externalIPs = ['127.0.0.1'])),
    want: ['spec.externalIPs[0]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)'],
  },

  // ---- Pod ----
  { name: 'containers are required', resource: 'pods', obj: pd((p) => (p.spec!.containers = [])), want: ['spec.containers: Required value'] },
  {
    name: 'container names are DNS-1123 labels',
    resource: 'pods',
    obj: pd((p) => (p.spec!.containers![0]!.name = 'Web')),
    want: [`spec.containers[0].name: ${DNS1123_LABEL('Web')}`],
  },
  { name: 'image is required', resource: 'pods', obj: pd((p) => delete p.spec!.containers![0]!.image), want: ['spec.containers[0].image: Required value'] },
  {
    name: 'container names are unique',
    resource: 'pods',
    obj: pd((p) => p.spec!.containers!.push({ name: 'c', image: 'busybox:1' })),
    want: ['spec.containers[1].name: Duplicate value: "c"'],
  },
  {
    name: 'containerPort is required',
    resource: 'pods',
    obj: pd((p) => (p.spec!.containers![0]!.ports = [{ name: 'http' }])),
    want: ['spec.containers[0].ports[0].containerPort: Required value'],
  },
  {
    name: 'containerPort range',
    resource: 'pods',
    obj: pd((p) => (p.spec!.containers![0]!.ports = [{ containerPort: 70000 }])),
    want: [`spec.containers[0].ports[0].containerPort: Invalid value: 70000: ${PORT_RANGE}`],
  },
  {
    name: 'container port names are unique',
    resource: 'pods',
    obj: pd(
      (p) =>
        (p.spec!.containers![0]!.ports = [
          { name: 'http', containerPort: 80 },
          { name: 'http', containerPort: 81 },
        ]),
    ),
    want: ['spec.containers[0].ports[1].name: Duplicate value: "http"'],
  },
  {
    name: 'restartPolicy',
    resource: 'pods',
    obj: pd((p) => (p.spec!.restartPolicy = 'Sometimes')),
    want: ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'],
  },
  {
    name: 'a probe needs a handler',
    resource: 'pods',
    obj: pd((p) => (p.spec!.containers![0]!.livenessProbe = {})),
    want: ['spec.containers[0].livenessProbe: Required value: must specify a handler type'],
  },
  {
    name: 'a probe has one handler',
    resource: 'pods',
    obj: pd((p) => (p.spec!.containers![0]!.readinessProbe = { exec: { command: ['true'] }, tcpSocket: { port: 80 } })),
    want: ['spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type'],
  },
  {
    name: 'liveness successThreshold is 1',
    resource: 'pods',
    obj: pd((p) => (p.spec!.containers![0]!.livenessProbe = { tcpSocket: { port: 80 }, successThreshold: 2 })),
    want: ['spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1'],
  },
  {
    name: 'probe port range',
    resource: 'pods',
    obj: pd((p) => (p.spec!.containers![0]!.readinessProbe = { httpGet: { port: 0 } })),
    want: [`spec.containers[0].readinessProbe.httpGet.port: Invalid value: 0: ${PORT_RANGE}`],
  },
  {
    name: 'nodeName is a subdomain',
    resource: 'pods',
    obj: pd((p) => (p.spec!.nodeName = 'Node_1')),
    want: [`spec.nodeName: Invalid value: "Node_1": ${DNS1123_SUBDOMAIN_MSG}`],
  },
  {
    name: 'toleration effect',
    resource: 'pods',
    obj: pd((p) => (p.spec!.tolerations = [{ key: 'k', operator: 'Exists', effect: 'NoRun' }])),
    want: [`spec.tolerations[0].effect: Unsupported value: "NoRun": ${EFFECTS}`],
  },

  // ---- Deployment / ReplicaSet ----
  {
    name: 'replicas are non-negative',
    resource: 'deployments',
    obj: dep((d) => (d.spec!.replicas = -1)),
    want: ['spec.replicas: Invalid value: -1: must be greater than or equal to 0'],
  },
  {
    name: 'selector must match the template',
    resource: 'deployments',
    obj: dep((d) => (d.spec!.template!.metadata!.labels = { app: 'y' })),
    want: ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"y"}: `selector` does not match template `labels`'],
  },
  {
    name: 'template restartPolicy is Always',
    resource: 'deployments',
    obj: dep((d) => (d.spec!.template!.spec!.restartPolicy = 'Never')),
    want: ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'],
  },
  {
    name: 'selector is required (and an absent one matches no template)',
    resource: 'deployments',
    obj: dep((d) => delete d.spec!.selector),
    want: [
      'spec.selector: Required value',
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"x"}: `selector` does not match template `labels`',
    ],
  },
  {
    name: 'empty selector',
    resource: 'deployments',
    obj: dep((d) => (d.spec!.selector = {})),
    want: [
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: ' +
        'empty selector is invalid for deployment',
    ],
  },
  {
    name: 'strategy type',
    resource: 'deployments',
    obj: dep((d) => (d.spec!.strategy = { type: 'BlueGreen' })),
    want: [
      'spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:"BlueGreen", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: ' +
        'supported values: "Recreate", "RollingUpdate"',
    ],
  },
  {
    name: 'maxUnavailable and maxSurge not both 0',
    resource: 'deployments',
    obj: dep((d) => (d.spec!.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } })),
    want: ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0'],
  },
  {
    name: 'maxSurge is an int or a percent',
    resource: 'deployments',
    obj: dep((d) => (d.spec!.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 'abc' } })),
    want: [
      'spec.strategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"abc"}: ' +
        "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
    ],
  },
  {
    name: 'replica set selector operator',
    resource: 'replicasets',
    obj: edited(replicaSet(), (rs) => (rs.spec!.selector = { matchExpressions: [{ key: 'app', operator: 'Equals', values: ['x'] }] })),
    want: [
      'spec.selector.matchExpressions[0].operator: Invalid value: "Equals": not a valid selector operator',
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement{' +
        'v1.LabelSelectorRequirement{Key:"app", Operator:"Equals", Values:[]string{"x"}}}}: invalid label selector',
    ],
  },

  // ---- Endpoints / EndpointSlice ----
  {
    name: 'endpoint address is an IP',
    resource: 'endpoints',
    obj: edited(endpoints(), (e) => (e.subsets![0]!.addresses![0]!.ip = '10.0.0.256')),
    want: [
      'subsets[0].addresses[0].ip: Invalid value: "10.0.0.256": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      'subsets[0].addresses[0].ip: Invalid value: "10.0.0.256": must be a valid IP address',
    ],
  },
  {
    name: 'endpoint address may not be loopback',
    resource: 'endpoints',
    obj: edited(endpoints(), (e) => (e.subsets![0]!.addresses![0]!.ip = '127.0.0.5')),
    want: ['subsets[0].addresses[0].ip: Invalid value: "127.0.0.5": may not be in the loopback range (127.0.0.0/8, ::1/128)'],
  },
  {
    name: 'a subset has addresses',
    resource: 'endpoints',
    obj: edited(endpoints(), (e) => delete e.subsets![0]!.addresses),
    want: ['subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`'],
  },
  {
    name: 'slice address type',
    resource: 'endpointslices',
    obj: edited(endpointSlice(), (s) => (s.addressType = 'IP')),
    want: ['addressType: Unsupported value: "IP": supported values: "FQDN", "IPv4", "IPv6"'],
  },
  {
    name: 'an endpoint has an address',
    resource: 'endpointslices',
    obj: edited(endpointSlice(), (s) => (s.endpoints = [{ addresses: [] }])),
    want: ['endpoints[0].addresses: Required value: must contain at least 1 address'],
  },
  {
    name: 'IPv4 slices hold IPv4 addresses',
    resource: 'endpointslices',
    obj: edited(endpointSlice(), (s) => (s.endpoints = [{ addresses: ['fd00::1'] }])),
    want: ['endpoints[0].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 address'],
  },
  {
    name: 'at most 1000 endpoints',
    resource: 'endpointslices',
    obj: edited(endpointSlice(), (s) => (s.endpoints = Array.from({ length: 1001 }, () => ({ addresses: ['10.0.0.1'] })))),
    want: ['endpoints: Too many: 1001: must have at most 1000 items'],
  },
  {
    name: 'two unnamed slice ports collide',
    resource: 'endpointslices',
    obj: edited(endpointSlice(), (s) => (s.ports = [{ port: 80 }, { port: 81 }])),
    want: ['ports[1].name: Duplicate value: ""'],
  },

  // ---- Node / Namespace / Lease ----
  {
    name: 'taint effect (Kubernetes reports taints under metadata)',
    resource: 'nodes',
    obj: edited(node(), (n) => (n.spec = { taints: [{ key: 'k', effect: 'NoRun' }] })),
    want: [`metadata.taints[0].effect: Unsupported value: "NoRun": ${EFFECTS}`],
  },
  {
    name: 'taint effect is required',
    resource: 'nodes',
    obj: edited(node(), (n) => (n.spec = { taints: [{ key: 'k' }] })),
    want: ['metadata.taints[0].effect: Required value'],
  },
  {
    name: 'taints are unique by key and effect',
    resource: 'nodes',
    obj: edited(node(), (n) => (n.spec = { taints: [{ key: 'k', effect: 'NoSchedule' }, { key: 'k', value: 'v', effect: 'NoSchedule' }] })),
    want: [
      'metadata.taints[1]: Duplicate value: core.Taint{Key:"k", Value:"v", Effect:"NoSchedule", TimeAdded:(*v1.Time)(nil)}: ' +
        'taints must be unique by key and effect pair',
    ],
  },
  {
    name: 'namespace names are DNS-1123 labels',
    resource: 'namespaces',
    obj: edited(namespace(), (n) => (n.metadata!.name = 'Team_A')),
    want: [`metadata.name: ${DNS1123_LABEL('Team_A')}`],
  },
  {
    name: 'namespace names have no dots',
    resource: 'namespaces',
    obj: edited(namespace(), (n) => (n.metadata!.name = 'team.a')),
    want: ['metadata.name: Invalid value: "team.a": must not contain dots'],
  },
  {
    name: 'a too-long namespace name also makes its defaulted label too long',
    resource: 'namespaces',
    obj: edited(namespace(), (n) => (n.metadata!.name = 'a'.repeat(64))),
    want: [`metadata.name: Invalid value: "${'a'.repeat(64)}": must be no more than 63 characters`, `metadata.labels: Invalid value: "${'a'.repeat(64)}": must be no more than 63 characters`],
  },
  {
    name: 'lease duration is positive',
    resource: 'leases',
    obj: edited(lease(), (l) => (l.spec!.leaseDurationSeconds = 0)),
    want: ['spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0'],
  },
];

describe('validateCreate: invalid objects, with Kubernetes texts', () => {
  test('the table is large enough to mean something', () => {
    assert.ok(INVALID.length >= 40, `${INVALID.length} cases`);
  });
  for (const c of INVALID) {
    test(`${c.resource}: ${c.name}`, () => {
      assert.deepEqual(createErrors(c.resource, structuredClone(c.obj)), c.want);
    });
  }
});

describe('validateCreate: valid objects', () => {
  const VALID: { name: string; resource: ResourceName; obj: ResourceTypes[ResourceName] }[] = [
    { name: 'minimal service', resource: 'services', obj: service() },
    {
      name: 'NodePort with chosen nodePort, named ports and ClientIP affinity',
      resource: 'services',
      obj: svc((s) => {
        s.spec!.type = 'NodePort';
        s.spec!.ports = [
          { name: 'http', port: 80, targetPort: 'http', nodePort: 30080 },
          { name: 'dns', port: 53, protocol: 'UDP' },
        ];
        s.spec!.sessionAffinity = 'ClientIP';
        s.spec!.clusterIP = '127.96.3.4';
      }),
    },
    {
      name: 'LoadBalancer with Local traffic policy and its health-check port',
      resource: 'services',
      obj: svc((s) => {
        s.spec!.type = 'LoadBalancer';
        s.spec!.externalTrafficPolicy = 'Local';
        s.spec!.healthCheckNodePort = 31000;
      }),
    },
    {
      name: 'headless service without ports',
      resource: 'services',
      obj: svc((s) => {
        s.spec!.clusterIP = 'None';
        s.spec!.ports = [];
      }),
    },
    {
      name: 'headless service without a selector',
      resource: 'services',
      obj: svc((s) => {
        s.spec!.clusterIP = 'None';
        delete s.spec!.selector;
      }),
    },
    {
      name: 'ExternalName with a trailing dot',
      resource: 'services',
      obj: svc((s) => {
        s.spec!.type = 'ExternalName';
        s.spec!.externalName = 'db.example.com.';
        delete s.spec!.selector;
      }),
    },
    {
      name: 'pod with probes, ports, env and tolerations',
      resource: 'pods',
      obj: pd((p) => {
        const c = p.spec!.containers![0]!;
        c.ports = [{ name: 'http', containerPort: 8080 }];
        c.env = [{ name: 'my.env-Var', value: 'x' }];
        c.readinessProbe = { httpGet: { port: 'http' } };
        c.livenessProbe = { tcpSocket: { port: 8080 }, terminationGracePeriodSeconds: 5 };
        p.spec!.tolerations = [{ operator: 'Exists' }, { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }];
        p.metadata!.generateName = 'web-';
        p.metadata!.labels = { 'app.kubernetes.io/name': 'web', tier: '' };
      }),
    },
    { name: 'deployment', resource: 'deployments', obj: deployment() },
    {
      name: 'deployment with Recreate and matchExpressions',
      resource: 'deployments',
      obj: dep((d) => {
        d.spec!.strategy = { type: 'Recreate' };
        d.spec!.selector = { matchExpressions: [{ key: 'app', operator: 'In', values: ['x', 'y'] }] };
      }),
    },
    { name: 'replica set', resource: 'replicasets', obj: replicaSet() },
    { name: 'endpoints', resource: 'endpoints', obj: endpoints() },
    { name: 'endpoint slice', resource: 'endpointslices', obj: endpointSlice() },
    {
      name: 'FQDN endpoint slice',
      resource: 'endpointslices',
      obj: edited(endpointSlice(), (s) => {
        s.addressType = 'FQDN';
        s.endpoints = [{ addresses: ['db.example.com'], hostname: 'db-0', nodeName: 'node-1' }];
      }),
    },
    { name: 'node with taints and podCIDR', resource: 'nodes', obj: edited(node(), (n) => (n.spec = { podCIDR: '10.244.1.0/24', taints: [{ key: 'k', effect: 'NoSchedule' }] })) },
    { name: 'namespace', resource: 'namespaces', obj: namespace() },
    { name: 'lease', resource: 'leases', obj: lease() },
  ];
  for (const c of VALID) {
    test(`${c.resource}: ${c.name}`, () => {
      assert.deepEqual(createErrors(c.resource, structuredClone(c.obj)), []);
    });
  }

  test('loopback endpoints pass when the apiserver allows them (kemu runs pods on 127.0.0.0/8)', () => {
    const e = edited(endpoints(), (x) => (x.subsets![0]!.addresses![0]!.ip = '127.0.0.5'));
    const s = edited(endpointSlice(), (x) => (x.endpoints = [{ addresses: ['127.0.0.5'] }]));
    assert.deepEqual(createErrors('endpoints', e, { ...OPTS, allowLoopbackEndpoints: true }), []);
    assert.deepEqual(createErrors('endpointslices', s, { ...OPTS, allowLoopbackEndpoints: true }), []);
  });

  test('repeated identical messages are reported once, as Kubernetes aggregates them', () => {
    assert.deepEqual(createErrors('pods', pd((p) => (p.metadata!.finalizers = ['a b', 'a b']))), [
      `metadata.finalizers: Invalid value: "a b": ${NAME_PART_MSG}`,
      'metadata.finalizers[0]: Invalid value: "a b": name is neither a standard finalizer name nor is it fully qualified',
      'metadata.finalizers[1]: Invalid value: "a b": name is neither a standard finalizer name nor is it fully qualified',
    ]);
  });
});
