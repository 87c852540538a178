# Files too large for one device call (64 MiB with the working tree) travel as one tar split into
# parts, one part per call, back to back. The device copies the checkout afresh each call, so the
# host gathers the parts in /tmp, which lasts while the machine stays warm.
#
#   here:   source scripts/device/parts.sh; make_parts NAME PART_MIB FILE...  -> .parts-NAME/partNN/
#   there:  source scripts/device/parts.sh; gather_parts NAME DEST
#           (0 once DEST holds the files; 3 while parts are still to come; 4 on a bad checksum)
#
# Each part folder holds its chunk and NAME.manifest ("<count> <sha256 of the whole tar>").

make_parts() {
  local name=$1 part_mib=$2
  shift 2
  local dir=".parts-$name" tmp count sum i=0 chunk part
  grep -qxF "/$dir/" .git/info/exclude 2>/dev/null || echo "/$dir/" >> .git/info/exclude
  rm -rf "$dir"
  tmp=$(mktemp -d)
  tar -cf "$tmp/$name.tar" -C "$(dirname "$1")" "${@##*/}"  # the files share one folder
  (cd "$tmp" && split -b "$((part_mib * 1024 * 1024))" -d -a 2 "$name.tar" "$name.tar.")
  count=$(ls "$tmp/$name.tar".?? | wc -l)
  sum=$(sha256sum "$tmp/$name.tar" | cut -d' ' -f1)
  for chunk in "$tmp/$name.tar".??; do
    i=$((i + 1))
    part=$(printf "%s/part%02d" "$dir" "$i")
    mkdir -p "$part"
    mv "$chunk" "$part/"
    echo "$count $sum" > "$part/$name.manifest"
  done
  rm -rf "$tmp"
  du -b "$dir"/part*/"$name".tar.*
}

gather_parts() {
  local name=$1 dest=$2 stage="/tmp/gpulab-parts-$1" count sum have part
  [ -f "$dest/.complete" ] && return 0
  mkdir -p "$stage"
  for part in ".parts-$name"/part*; do
    [ -d "$part" ] && cp "$part"/* "$stage"/
  done
  if [ ! -f "$stage/$name.manifest" ]; then
    echo "no part of $name has been carried yet"
    return 3
  fi
  read -r count sum < "$stage/$name.manifest"
  have=$(ls "$stage/$name".tar.?? | wc -l)
  if [ "$have" != "$count" ]; then
    echo "$have of $count parts of $name are staged in $stage: carry the next one"
    return 3
  fi
  cat "$stage/$name".tar.?? > "/tmp/$name.tar"
  echo "$sum  /tmp/$name.tar" | sha256sum -c --quiet || { echo "checksum of $name failed"; return 4; }
  rm -rf "$dest" && mkdir -p "$dest" && tar -C "$dest" -xf "/tmp/$name.tar" && rm -f "/tmp/$name.tar"
  touch "$dest/.complete"
}
