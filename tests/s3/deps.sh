#!/bin/sh
# Install what the S3 tests need: a single-node Ceph with radosgw (a real
# S3 server that checks SigV4) and Debian's aws-cli (/usr/bin/aws).
exec sh "$(dirname "$0")/../deps.sh" ceph-mon ceph-osd radosgw ceph-common \
    awscli
