// kemu apply, get, describe, delete, scale, expose, rollout: kubectl's object commands.
// Definitions only; the work is in ../objects/ (pure cores with unit tests, one driver per
// command), loaded by each action when it runs so that `kemu --help` stays cheap.
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { ApplyFlags } from '../objects/apply-command.js';
import type { DeleteFlags } from '../objects/delete-command.js';
import type { DescribeFlags } from '../objects/describe-command.js';
import { SERVICE_TYPES } from '../objects/expose.js';
import type { ExposeFlags } from '../objects/expose-command.js';
import type { GetFlags } from '../objects/get-command.js';
import { kindHelp } from '../objects/kind-aliases.js';
import { OUTPUT_FORMATS } from '../objects/output-formats.js';
import type { RolloutStatusFlags } from '../objects/rollout-command.js';
import type { ScaleFlags } from '../objects/scale-command.js';
import { stateDirOption } from './common.js';

/** -f, repeatable: every value is kept, in order. */
const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** The options every object command takes: where the cluster is, who we are, which namespace. */
function connection(cmd: Command, namespaced = true): Command {
  cmd
    .addOption(stateDirOption())
    .addOption(new Option('--server <host:port>', "apiserver gRPC address(es), comma separated (default: the cluster's, from --state-dir)").env('KEMU_SERVER'))
    .addOption(new Option('--token <token>', 'bearer token (default: the admin token in --state-dir)').env('KEMU_TOKEN'));
  if (namespaced) cmd.option('-n, --namespace <namespace>', 'namespace of the objects (default "default")');
  return cmd;
}

/** `--wait=false`, as kubectl writes booleans that default to true. */
const bool = (value: string): boolean => {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new InvalidArgumentError('want true or false (write --flag=false)');
};

const examples = (lines: string[]): string => `\nExamples:\n${lines.map((l) => (l.startsWith('#') ? `  ${l}` : `  ${l}\n`)).join('\n')}`;

/** Stops quietly when the reader of our output goes away (`kemu get pods | head -1`). */
function quietOnBrokenPipe(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

export function registerObjectCommands(program: Command): void {
  const kinds = `Kinds: ${kindHelp()}; singular names, kind names and group-qualified names (deployments.apps) work too.`;

  connection(
    program
      .command('apply')
      .summary('create or update objects from manifests (kubectl apply)')
      .description(
        'Create objects from Kubernetes manifests, or update them to match. Each object is created if it does not exist, ' +
          'otherwise changed to what the manifest says ("configured") or left alone ("unchanged"). Fields the manifest leaves ' +
          'out keep their values (ClusterIP and nodePorts the apiserver allocated, replicas set by kemu scale); fields removed ' +
          'since the last apply are removed, as kubectl apply does (the last applied manifest is kept in the ' +
          'kubectl.kubernetes.io/last-applied-configuration annotation). Files are YAML (several documents separated by ---) ' +
          'or JSON; a directory applies its .yaml, .yml and .json files in name order; - reads standard input. ' +
          'A file that does not parse is skipped whole (the error names file:line:column); other failures are reported per ' +
          'object and the rest continue. Exit status 1 if anything failed.',
      )
      .addOption(new Option('-f, --filename <file|dir|->', 'manifest file, directory or - for stdin (repeatable)').argParser(collect))
      .option('-R, --recursive', 'also read the subdirectories of a directory given with -f')
      .addHelpText('after', examples(['# Create or update what app.yaml describes', 'kemu apply -f app.yaml', '# Every manifest in a directory, then one from stdin', 'kemu apply -f manifests/ -f - < extra.yaml'])),
  ).action(async (o: ApplyFlags) => (await import('../objects/apply-command.js')).runApply(o));

  connection(
    program
      .command('get')
      .summary('list objects in a table, YAML or JSON (kubectl get)')
      .description(
        `List objects of one or more kinds (comma separated), or the named ones. ${kinds} ` +
          'With -w, keep printing a line per change until interrupted (Ctrl-C). Named objects that do not exist are reported and make the exit status 1.',
      )
      .argument('<kind>', 'kind to list (or KIND/NAME, or KIND,KIND...)')
      .argument('[names...]', 'names of the objects (default: all)')
      .addOption(new Option('-o, --output <format>', 'output format: wide (more columns), yaml, json or name (default: a table)').choices(OUTPUT_FORMATS))
      .option('-l, --selector <selector>', 'label selector, e.g. app=hello,tier!=db or "env in (a,b)"')
      .option('--field-selector <selector>', 'field selector: metadata.name, metadata.namespace, spec.nodeName (e.g. spec.nodeName=node-1)')
      .option('-A, --all-namespaces', 'list across all namespaces (adds a NAMESPACE column)')
      .option('-w, --watch', 'after listing, print a line (or, with -o yaml|json, an object) per change until interrupted')
      .addOption(new Option('-L, --label-columns <key>', 'add a column with the value of this label (repeatable)').argParser(collect))
      .option('--show-labels', 'add a LABELS column')
      .addHelpText(
        'after',
        examples([
          '# Pods of the default namespace, with their IPs and nodes',
          'kemu get pods -o wide',
          '# Services and Deployments together',
          'kemu get svc,deploy',
          '# One Service as YAML',
          'kemu get service/hello -o yaml',
          '# Pods of app=hello in every namespace, following changes',
          'kemu get po -l app=hello -A -w',
          '# Nodes with their zone label',
          'kemu get nodes -L topology.kubernetes.io/zone',
        ]),
      ),
  ).action(async (kind: string, names: string[], o: GetFlags) => {
    quietOnBrokenPipe();
    return (await import('../objects/get-command.js')).runGet([kind, ...names], o);
  });

  connection(
    program
      .command('describe')
      .summary('show the details of objects (kubectl describe)')
      .description(
        `Show a readable description of objects and what relates to them: a Service's endpoints, a Deployment's ReplicaSets, ` +
          `a ReplicaSet's pods, a Node's pods and Lease. A name that matches no object describes every object whose name ` +
          `starts with it (kemu describe pod hello); no name describes every object of the kind. ${kinds}`,
      )
      .argument('<kind>', 'kind (or KIND/NAME)')
      .argument('[names...]', 'names or name prefixes (default: all)')
      .option('-l, --selector <selector>', 'label selector, when no name is given')
      .option('-A, --all-namespaces', 'look in every namespace')
      .addHelpText('after', examples(['kemu describe service hello', 'kemu describe deploy/hello', 'kemu describe node node-1', '# Every pod whose name starts with hello', 'kemu describe pods hello'])),
  ).action(async (kind: string, names: string[], o: DescribeFlags) => {
    quietOnBrokenPipe();
    return (await import('../objects/describe-command.js')).runDescribe([kind, ...names], o);
  });

  connection(
    program
      .command('delete')
      .summary('delete objects by name, label selector or manifest (kubectl delete)')
      .description(
        `Delete objects by kind and names, KIND/NAME, label selector (-l), --all, or the objects of manifests (-f). ` +
          `Pods terminate gracefully (their grace period, or --grace-period); deleting a Deployment deletes its ReplicaSets and pods in the background. ` +
          `By default waits until each object is gone (--wait=false does not). ${kinds}`,
      )
      .argument('[kind]', 'kind (or KIND/NAME)')
      .argument('[names...]', 'names of the objects')
      .addOption(new Option('-f, --filename <file|dir|->', 'delete the objects of this manifest file, directory or stdin (repeatable)').argParser(collect))
      .option('-R, --recursive', 'also read the subdirectories of a directory given with -f')
      .option('-l, --selector <selector>', 'delete the objects matching this label selector')
      .option('--all', 'delete every object of the kind in the namespace')
      .option('-A, --all-namespaces', 'with -l or --all: in every namespace')
      .option('--grace-period <seconds>', "seconds a pod gets to terminate (default: its own terminationGracePeriodSeconds); 0 means 1 unless --force")
      .option('--now', 'terminate pods at once (--grace-period=1)')
      .option('--force', 'remove the objects from the API at once, without waiting for pods to stop (implies --grace-period=0 unless one is given)')
      .addOption(new Option('--wait [bool]', 'wait until the objects are gone (--wait=false to return at once)').default(true).argParser(bool))
      .option('--timeout <duration>', 'how long to wait for the objects to be gone (0: no limit)', '60s')
      .option('--ignore-not-found', 'treat objects that do not exist as deleted')
      .addHelpText(
        'after',
        examples(['kemu delete pod hello-5d8f7-abcde', 'kemu delete deploy/hello svc/hello', 'kemu delete pods -l app=hello --grace-period=5', 'kemu delete -f app.yaml']),
      ),
  ).action(async (kind: string | undefined, names: string[], o: DeleteFlags) => (await import('../objects/delete-command.js')).runDelete(kind ? [kind, ...names] : [], o));

  connection(
    program
      .command('scale')
      .summary('set the number of replicas of a Deployment or ReplicaSet (kubectl scale)')
      .description('Set spec.replicas of Deployments or ReplicaSets; the controllers then add or remove pods. With --current-replicas, only if the object has that many now.')
      .argument('<kind>', 'deployment or replicaset (or KIND/NAME)')
      .argument('[names...]', 'names of the objects')
      .option('--replicas <count>', 'the new number of replicas (required)')
      .option('--current-replicas <count>', 'precondition: the number of replicas the object must have now')
      .addHelpText('after', examples(['kemu scale deployment/hello --replicas=5', 'kemu scale deploy hello --replicas 2 --current-replicas 5'])),
  ).action(async (kind: string, names: string[], o: ScaleFlags) => (await import('../objects/scale-command.js')).runScale([kind, ...names], o));

  connection(
    program
      .command('expose')
      .summary('make a Service for a Deployment, ReplicaSet, Pod or Service (kubectl expose)')
      .description(
        "Create a Service that selects the pods of a Deployment or ReplicaSet (its matchLabels), a Pod (its labels) or a Service (its selector). " +
          'The Service is named after the object unless --name is given and gets its labels. Without --port, it gets one port per container port ' +
          "(named port-1, port-2... when there are several), or an exposed Service's own ports; --target-port defaults to the port.",
      )
      .argument('<kind>', 'deployment, replicaset, pod or service (or KIND/NAME)')
      .argument('[name]', 'name of the object')
      .option('--port <port>', 'port the Service serves on (default: the container ports)')
      .option('--target-port <port>', "the pods' port, a number or a container port name (default: --port)")
      .addOption(new Option('--type <type>', 'Service type (default ClusterIP)').choices(SERVICE_TYPES))
      .option('--name <name>', 'name of the Service (default: the name of the exposed object)')
      .addOption(new Option('--protocol <protocol>', "protocol of the port (default: the container port's, else TCP)").choices(['TCP', 'UDP']))
      .option('--selector <selector>', 'use this selector (k=v,k2=v2) instead of the object\'s')
      .addHelpText(
        'after',
        examples(['# A ClusterIP Service on port 80 for the pods of Deployment hello, which listen on 8080', 'kemu expose deployment hello --port 80 --target-port 8080', '# Reachable from outside on every node', 'kemu expose deployment currency-exchange --type=LoadBalancer --port 8000']),
      ),
  ).action(async (kind: string, name: string | undefined, o: ExposeFlags) => (await import('../objects/expose-command.js')).runExpose(name ? [kind, name] : [kind], o));

  const rollout = program
    .command('rollout')
    .summary('follow the rollout of a Deployment (kubectl rollout)')
    .description('Commands about the rollout of a Deployment.');
  connection(
    rollout
      .command('status')
      .summary('wait until a Deployment has rolled out')
      .description(
        'Print the progress of a Deployment\'s rollout each time it changes, until every replica runs the current template and is available ' +
          '(exit 0), the rollout exceeds its progress deadline, or --timeout passes (exit 1).',
      )
      .argument('<kind>', 'deployment (or deployment/NAME)')
      .argument('[name]', 'name of the Deployment')
      .option('--timeout <duration>', 'give up after this long, e.g. 60s or 2m (0: wait forever)', '0s')
      .addOption(new Option('--watch [bool]', 'wait for the rollout to finish (--watch=false prints the state once)').default(true).argParser(bool))
      .addHelpText('after', examples(['kemu rollout status deployment/hello --timeout 60s'])),
  ).action(
    async (kind: string, name: string | undefined, o: RolloutStatusFlags) => (await import('../objects/rollout-command.js')).runRolloutStatus(name ? [kind, name] : [kind], o),
  );
}
