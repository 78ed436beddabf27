"""API errors carrying the gRPC status the real service answers, so clients raise alike."""

from __future__ import annotations

import grpc


class ApiError(Exception):
    code: grpc.StatusCode = grpc.StatusCode.UNKNOWN


class InvalidArgument(ApiError):
    code = grpc.StatusCode.INVALID_ARGUMENT


class NotFound(ApiError):
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(ApiError):
    code = grpc.StatusCode.ALREADY_EXISTS


class Unimplemented(ApiError):
    """A real feature this emulator does not copy: failing loudly beats behaving differently."""

    code = grpc.StatusCode.UNIMPLEMENTED
