#!/usr/bin/env python3
"""Run tcp_bulk.py with every TCP socket it makes on one congestion control.

  tcp_impaired_cc.py CC tcp_bulk.py ARGS...

A network namespace other than the initial one may only set its default
(sysctl net.ipv4.tcp_congestion_control) to an algorithm listed in the
host's tcp_allowed_congestion_control, so a namespace cannot always follow
the case's algorithm by sysctl. Per socket, setsockopt(TCP_CONGESTION)
needs only CAP_NET_ADMIN (ip netns exec as root has it), and accepted
connections inherit the listener's. Each socket is read back after the
set; a mismatch is an error, so a run never compares the wrong algorithm.
"""
import runpy
import socket
import sys

cc = sys.argv[1]
_orig = socket.socket


class CcSocket(_orig):
    def __init__(self, family=-1, type=-1, *args, **kwargs):
        super().__init__(family, type, *args, **kwargs)
        if self.family in (socket.AF_INET, socket.AF_INET6) and self.type == socket.SOCK_STREAM:
            self.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc.encode())
            got = self.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16).rstrip(b"\0").decode()
            if got != cc:
                raise OSError(f"TCP_CONGESTION is {got}, not {cc}")


socket.socket = CcSocket
sys.argv = sys.argv[2:]
runpy.run_path(sys.argv[0], run_name="__main__")
