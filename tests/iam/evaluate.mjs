// Evaluates requests against IAM policies with @cloud-copilot/iam-simulate, an IAM evaluator that
// shares nothing with this project's code. stdin: a JSON list of
// {principal, action, resource, accountId, context, identityPolicy, resourcePolicy};
// stdout: a JSON list, one {result, errors} per request ("Allowed", "ExplicitlyDenied", ...).
import { runSimulation } from '@cloud-copilot/iam-simulate'

let input = ''
for await (const chunk of process.stdin) input += chunk
const out = []
for (const r of JSON.parse(input)) {
  const response = await runSimulation({
    request: {
      principal: r.principal,
      action: r.action,
      resource: { resource: r.resource, accountId: r.accountId },
      contextVariables: r.context,
    },
    identityPolicies: [{ name: 'identity', policy: r.identityPolicy }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: r.resourcePolicy,
  }, {})
  out.push({ result: response.overallResult ?? null, errors: response.errors ?? null })
}
process.stdout.write(JSON.stringify(out))
