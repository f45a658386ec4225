"""What the delivery workflows and ``make`` targets run: affected environments, stack order, plan, apply.

    python -m tools.delivery affected --base <git ref>     # JSON list of environments a change touches
    python -m tools.delivery stacks <env>                  # that environment's stacks, dependencies first
    python -m tools.delivery region <env>
    python -m tools.delivery plan <env> --out plans/ [--outdir DIR] [--save] [--defer] [--no-cluster-refresh] [--jobs N]
                                  [--no-reuse-provider]    # terraform plan + show -json without sensitive values
                                                           # per stack, and stacks-not-synthesized.json (below)
                                                           # up to N stacks at once (default: the cores),
                                                           # reported as one after another (plan_jobs.py); one
                                                           # AWS provider process per stack (provider_server.py)
    python -m tools.delivery apply <env> [--plans DIR | --reviewed DIR [--summary FILE]]
                                                           # terraform apply per stack, in order; with --plans
                                                           # exactly the saved plans of `plan --save`; with
                                                           # --reviewed what the plans' JSON shows (re-planned)
    python -m tools.delivery ci-matrix [--base <ref>] [--pending] | --environment <env>   # GITHUB_OUTPUT lines
    python -m tools.delivery gate <env> [--commit SHA]     # promotion gate (tools/delivery/promotion.py), exit 5 closed
    python -m tools.delivery outputs <env>                 # Markdown table of every stack's outputs
    python -m tools.delivery cdktf deploy|destroy|diff|synth <env> [--aws-only] [--outdir DIR]   # the pinned cdktf CLI

``plan`` and ``apply`` work on an existing ``cdktf.out`` (run ``make synth`` first). Terraform
uses the offline provider mirror when this machine has one, else the registry (CI runners).

A stack that is no longer synthesized (an environment file turned its layer off) is planned by
nobody, so its resources would stay in AWS unmanaged without any plan showing it. ``plan``
therefore also lists the state objects in the environment's S3 state bucket
(``[<key_prefix>/]<env>/<layer>.tfstate``) that no synthesized stack uses, with how many resources
each still records, in ``<out>/stacks-not-synthesized.json``; ``tools.plan_report`` reports each
one holding resources as a high risk.
"""
