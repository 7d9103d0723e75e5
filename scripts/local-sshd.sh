#!/usr/bin/env bash
# Starts a private sshd on 127.0.0.1 for the ssh:// tests and demos: its own host key, one client
# key with key login only, and an `ssh` wrapper in DIR/bin that uses them (put DIR/bin first in
# PATH). Prints the port. Stop it with: kill "$(cat DIR/sshd.pid)".
#   usage: scripts/local-sshd.sh DIR
set -euo pipefail
dir=$(realpath -m "$1")
mkdir -p "$dir/bin" /run/sshd
chmod 700 "$dir"
rm -f "$dir"/host_key* "$dir"/client_key*
ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$dir/client_key"
cp "$dir/client_key.pub" "$dir/authorized_keys"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$dir/sshd_config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $dir/host_key
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
CONF
echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$dir/host_key.pub")" > "$dir/known_hosts"
cat > "$dir/ssh_config" <<CONF
Host 127.0.0.1
    IdentityFile $dir/client_key
    IdentitiesOnly yes
    UserKnownHostsFile $dir/known_hosts
    StrictHostKeyChecking yes
    BatchMode yes
CONF
cat > "$dir/bin/ssh" <<WRAP
#!/bin/sh
exec /usr/bin/ssh -F "$dir/ssh_config" "\$@"
WRAP
chmod +x "$dir/bin/ssh"
/usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log"
for _ in $(seq 50); do
    [ -s "$dir/sshd.pid" ] && break
    sleep 0.1
done
echo "$port"
