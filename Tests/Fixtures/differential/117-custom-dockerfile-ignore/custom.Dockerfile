FROM busybox:test
COPY . /ctx
