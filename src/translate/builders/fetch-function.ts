/**
 * The shell function every fetch step downloads with: `fetch_input URL NAME` writes `$DEST/NAME`.
 *
 * It follows redirects itself (wget with `--max-redirect=0`, at most 10 hops) so that every hop
 * gets the rules recipe sources get (src/recipe/sources/hosts.ts): only http and https, and,
 * unless private sources are allowed, no host that is or resolves to a loopback, private,
 * link-local, CGNAT, unspecified or multicast address. wget (not curl) because the runner image
 * ships wget; `getent` resolves names the way the downloader will.
 */

/** `public_host URL`: fails, with a message naming the URL, when its host is not public. */
const PUBLIC_HOST = `public_host() {
  host=$(printf '%s\\n' "$1" | sed -E 's#^[A-Za-z][A-Za-z0-9+.-]*://([^/?#@]*@)?##; s#[/?#].*$##' | sed -E 's#^\\[([^]]*)\\].*$#\\1#; t; s#:[0-9]*$##')
  addrs=$( (getent ahosts "$host" || getent hosts "$host") 2>/dev/null | awk '{print $1}' | sort -u)
  if [ -z "$addrs" ]; then
    echo "fetch: $1: cannot resolve host $host" >&2
    return 1
  fi
  for addr in $addrs; do
    v4=\${addr#::ffff:}
    case $v4 in
      0.*|10.*|127.*|169.254.*|192.168.*|172.1[6-9].*|172.2[0-9].*|172.3[01].*|100.6[4-9].*|100.[7-9][0-9].*|100.1[01][0-9].*|100.12[0-7].*|22[4-9].*|2[3-5][0-9].*|::|::1|[fF][cCdD]*|[fF][eE][89aAbB]*|[fF][fF]*)
        echo "fetch: $1: host $host ($addr) is a loopback, private or link-local address, which is not allowed (OGDC_ALLOW_PRIVATE_SOURCES)" >&2
        return 1 ;;
    esac
  done
}`;

/** The redirect loop; `CHECK` is the per-hop host check (empty when private hosts are allowed). */
function fetchLoop(check: string): string {
  return `fetch_input() {
  echo "fetch: $1 -> $2"
  url=$1
  hops=0
  log=$(mktemp)
  while :; do
    case $url in
      http://*|https://*) ;;
      *) echo "fetch: $1: only http and https URLs are fetched, not $url" >&2; exit 1 ;;
    esac
${check}    if wget -nv -S --tries=3 --max-redirect=0 -O "$DEST/$2" "$url" 2>"$log"; then
      rm -f "$log"
      return 0
    fi
    next=$(sed -n 's/^ *[Ll]ocation: *//p' "$log" | tr -d '\\r' | tail -n 1)
    if [ -z "$next" ]; then
      cat "$log" >&2
      echo "fetch: could not download $1" >&2
      exit 1
    fi
    hops=$((hops + 1))
    if [ "$hops" -gt 10 ]; then
      echo "fetch: could not download $1: more than 10 redirects" >&2
      exit 1
    fi
    case $next in
      http://*|https://*|*://*) url=$next ;;
      /*) url="$(printf '%s' "$url" | sed -E 's#^([A-Za-z]+://[^/]*).*#\\1#')$next" ;;
      *) url="\${url%/*}/$next" ;;
    esac
  done
}`;
}

/** Shell defining `fetch_input`; with `allowPrivate` false each hop's host is checked first. */
export function fetchFunction(allowPrivate: boolean): string {
  if (allowPrivate) return fetchLoop('');
  return `${PUBLIC_HOST}\n${fetchLoop('    public_host "$url" || exit 1\n')}`;
}
