/**
 * The guest's `lab-on`: a member's network namespace (a cluster lab, built in the guest by the
 * netns driver's plan), or, for a one-machine lab, the machine itself.
 */
const GUEST_LAB_ON = `#!/bin/bash
# lab-on MEMBER CMD... inside a vm-driver guest.
members=$(ls /run/netns 2>/dev/null | sed -n "s/^el\${LAB_INSTANCE}-//p" | grep -vx sw | tr '\\n' ' ')
if [ $# -lt 2 ]; then echo "usage: lab-on MEMBER CMD [ARGS...]   (members: \${members:-\${LAB_NODE:-lab}})" >&2; exit 2; fi
m=$1; shift
if [ -e "/run/netns/el\${LAB_INSTANCE}-$m" ]; then exec nsenter --net="/run/netns/el\${LAB_INSTANCE}-$m" -- "$@"; fi
if [ -z "$members" ] && [ "$m" = "\${LAB_NODE:-lab}" ]; then exec "$@"; fi
echo "lab-on: this lab has no member \\"$m\\" (members: \${members:-\${LAB_NODE:-lab}})" >&2; exit 2
`;

/** Puts the guest's lab-on in place (it is the same for every lab: a warm pool guest has it). */
export const INSTALL_LAB_ON = `printf '%s' ${Buffer.from(GUEST_LAB_ON).toString('base64')} | base64 -d >/usr/local/bin/lab-on && chmod 0755 /usr/local/bin/lab-on`;
