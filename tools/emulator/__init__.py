"""A local AWS emulator (moto server) on a free port of 127.0.0.1, for applying the stacks offline.

``Emulator.start()`` runs ``python -m tools.emulator serve <port>`` (moto's own server, with AWS
managed IAM policies loaded: ``AmazonEKSClusterPolicy`` and friends exist only then), waits until
it answers and returns. ``terraform_env()`` is the environment Terraform needs to talk to it: the
endpoint is passed as ``AWS_ENDPOINT_URL`` (aws provider) and ``AWS_ENDPOINT_URL_S3`` (S3 backend),
never written into the synthesized JSON. Only loopback is ever used: the host is a constant and
proxies are bypassed for it.

Moto's state lives in the server's memory: stopping the emulator forgets everything.

This package: the client that starts and stops the server (``client``), the server with moto's
corrections (``server``), ``eks`` (the EKS operations moto lacks,
registered when the server starts), ``eks_catalog`` (what DescribeAddonVersions answers),
``cluster_security_group`` (the security group EKS creates per cluster), ``efs`` (the EFS file
system policy operations) and ``s3_policy`` (bucket policy conditions evaluated per request).
"""

from tools.emulator.client import ACCESS_KEY, HOST, SECRET_KEY, Emulator, EmulatorError

__all__ = ["ACCESS_KEY", "HOST", "SECRET_KEY", "Emulator", "EmulatorError"]
