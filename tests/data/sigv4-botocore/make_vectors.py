#!/usr/bin/env python3
"""Writes vectors.json: ACM-PCA requests signed by botocore's own SigV4Auth,
as an oracle for the plugin's signer that nobody here wrote. Rerun it only
to add cases: `python3 make_vectors.py > vectors.json`. The requests are
what botocore sends: JSON with spaces, Host (not among the headers: botocore
takes it from the URL) with its port when the URL has one, a session token
signed in. The signing time is each vector's X-Amz-Date header."""
import json

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ARN = "arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/12345678-1234-1234-1234-123456789012"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLETOKEN//////////wEaCWV1LXdlc3QtMSJHMEUCIQD=="

CASES = [
    ("issue, regional endpoint", "https://acm-pca.eu-west-1.amazonaws.com/", "eu-west-1", "acm-pca",
     "ACMPrivateCA.IssueCertificate",
     {"CertificateAuthorityArn": ARN, "Csr": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0K",
      "SigningAlgorithm": "SHA256WITHECDSA", "Validity": {"Type": "END_DATE", "Value": 20261208083015},
      "TemplateArn": "arn:aws:acm-pca:::template/EndEntityServerAuthCertificate/V1",
      "IdempotencyToken": "req_2al6z56afwhvnm77wboj755kws"}, None),
    ("get certificate, endpoint with a port", "http://127.0.0.1:4566/", "eu-west-1", "acm-pca",
     "ACMPrivateCA.GetCertificate",
     {"CertificateAuthorityArn": ARN, "CertificateArn": ARN + "/certificate/0123456789abcdef0123456789abcdef"}, None),
    ("revoke, temporary credentials", "https://acm-pca.eu-west-1.amazonaws.com/", "eu-west-1", "acm-pca",
     "ACMPrivateCA.RevokeCertificate",
     {"CertificateAuthorityArn": ARN, "CertificateSerial": "67:07:44:76:83:a9:b7:f4:05:56:27:ff:d9:d9:bd:ca",
      "RevocationReason": "KEY_COMPROMISE"}, TOKEN),
    ("describe, FIPS endpoint", "https://acm-pca-fips.us-gov-west-1.amazonaws.com/", "us-gov-west-1", "acm-pca",
     "ACMPrivateCA.DescribeCertificateAuthority", {"CertificateAuthorityArn": ARN}, None),
]


def vector(name, url, region, service, target, body, token):
    credentials = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    payload = json.dumps(body)  # botocore's own JSON: with spaces
    request = AWSRequest(method="POST", url=url, data=payload,
                         headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target})
    SigV4Auth(credentials, service, region).add_auth(request)
    prepared = request.prepare()
    return {"name": name, "method": "POST", "url": url, "region": region, "service": service,
            "headers": [[k, v] for k, v in prepared.headers.items()], "body": payload,
            "access_key_id": credentials.access_key, "secret_access_key": credentials.secret_key,
            "session_token": token or "", "authorization": prepared.headers["Authorization"]}


print(json.dumps({"botocore": __import__("botocore").__version__, "vectors": [vector(*c) for c in CASES]}, indent=1))
