// Evaluates requests against IAM policies with @cloud-copilot/iam-simulate, an IAM evaluator that
// shares nothing with this project's code. stdin: a JSON list of
// {principal, action, resource, accountId, context, identityPolicy, resourcePolicy, permissionBoundary?};
// stdout: a JSON list, one {result, errors} per request ("Allowed", "ExplicitlyDenied", ...).
// A request with "unsafe": true keeps context keys the Service Authorization Reference does not list
// for the action (an OIDC provider's "<issuer>:sub" in a role trust): runUnsafeSimulation.
import { runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate'

let input = ''
for await (const chunk of process.stdin) input += chunk
const out = []
for (const r of JSON.parse(input)) {
  const simulation = {
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
    permissionBoundaryPolicies: r.permissionBoundary ? [{ name: 'boundary', policy: r.permissionBoundary }] : undefined,
  }
  if (r.unsafe) {
    // runUnsafeSimulation loads the resource policy without a name, which its analysis then reads:
    // hand it the documented validated-policy shape that carries one.
    simulation.resourcePolicy = { __validated: true, policyDocument: r.resourcePolicy, metadata: { name: 'resource' } }
    const analysis = runUnsafeSimulation(simulation, {})
    out.push({ result: analysis, errors: null })
    continue
  }
  const response = await runSimulation(simulation, {})
  out.push({ result: response.overallResult ?? null, errors: response.errors ?? null })
}
process.stdout.write(JSON.stringify(out))
