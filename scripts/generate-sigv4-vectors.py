#!/usr/bin/env python3
"""Generates SigV4 reference vectors with botocore's own signer, for CentaurProvidersTests.

Run: python3 scripts/generate-sigv4-vectors.py > Tests/CentaurProvidersTests/Fixtures/bedrock/sigv4-vectors.json
Needs botocore (pip install botocore). The output is committed; rerun only to add cases.
"""
import datetime
import json
import sys
from unittest import mock

import botocore
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

FIXED = datetime.datetime(2025, 11, 3, 14, 5, 9)

CASES = [
    {
        "name": "converse with a plain model id",
        "method": "POST",
        "url": "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse",
        "headers": {"content-type": "application/json", "accept": "application/json"},
        "body": '{"messages":[{"content":[{"text":"Hello"}],"role":"user"}]}',
        "region": "us-east-1",
        "access_key": "AKIDEXAMPLE",
        "secret_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "token": None,
    },
    {
        "name": "converse-stream with an inference profile id and a session token",
        "method": "POST",
        "url": "https://bedrock-runtime.us-west-2.amazonaws.com/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse-stream",
        "headers": {"content-type": "application/json", "accept": "application/vnd.amazon.eventstream"},
        "body": '{"inferenceConfig":{"maxTokens":256},"messages":[{"content":[{"text":"Bonjour"}],"role":"user"}]}',
        "region": "us-west-2",
        "access_key": "ASIAEXAMPLETEMPORARY",
        "secret_key": "secretkeyEXAMPLE/with+chars",
        "token": "IQoJb3JpZ2luX2VjEXAMPLE//////////token+with/special=chars",
    },
    {
        "name": "a GET with a query string",
        "method": "GET",
        "url": "https://bedrock.eu-central-1.amazonaws.com/foundation-models?byProvider=anthropic&byOutputModality=TEXT&a=b%20c",
        "headers": {},
        "body": "",
        "region": "eu-central-1",
        "access_key": "AKIDEXAMPLE",
        "secret_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "token": None,
    },
    {
        "name": "an ARN model id on a local endpoint with a port",
        "method": "POST",
        "url": "http://127.0.0.1:8123/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-3-5-haiku-20241022-v1%3A0/converse",
        "headers": {"content-type": "application/json", "accept": "application/json"},
        "body": '{"messages":[]}',
        "region": "us-east-1",
        "access_key": "AKIDEXAMPLE",
        "secret_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "token": "session-token",
    },
]


def sign(case):
    request = AWSRequest(method=case["method"], url=case["url"], data=case["body"].encode(), headers=dict(case["headers"]))
    credentials = Credentials(case["access_key"], case["secret_key"], case["token"])
    signer = SigV4Auth(credentials, "bedrock", case["region"])
    # The canonical request and string to sign, as add_auth computes them before adding Authorization.
    probe = AWSRequest(method=case["method"], url=case["url"], data=case["body"].encode(), headers=dict(case["headers"]))
    probe.context["timestamp"] = FIXED.strftime("%Y%m%dT%H%M%SZ")
    signer._modify_request_before_signing(probe)
    canonical = signer.canonical_request(probe)
    string_to_sign = signer.string_to_sign(probe, canonical)
    with mock.patch("botocore.auth.get_current_datetime", return_value=FIXED):
        signer.add_auth(request)
    return {
        **case,
        "timestamp": FIXED.strftime("%Y%m%dT%H%M%SZ"),
        "expected": {
            "authorization": request.headers["Authorization"],
            "x-amz-date": request.headers["X-Amz-Date"],
            "x-amz-security-token": request.headers.get("X-Amz-Security-Token"),
            "canonical_request": canonical,
            "string_to_sign": string_to_sign,
        },
    }


json.dump({"botocore": botocore.__version__, "vectors": [sign(c) for c in CASES]}, sys.stdout, indent=2)
sys.stdout.write("\n")
