/**
 * VMAs of one mm, kept sorted by address in their slots (as the maple tree keeps them), so the
 * encoding stays canonical. Handles are slot offsets; 0 is NULL.
 */
import type { Kernel } from "../kernel.js";
import { SMALL_PER_HUGE, VMA_SIZE, VMA_USED, VM_END, VM_FILE, VM_FLAGS, VM_NR_PAGES, VM_PGOFF, VM_START } from "../layout.js";
import { BLOCKED, ModelError } from "../types.js";

/** The address of 4 KiB page `page` of slot `slot`, in huge pages. */
export function small_addr(slot: number, page: number): number {
  return slot + page / SMALL_PER_HUGE;
}

/** find_vma_intersection(mm, addr, addr + 1): the VMA mapping `addr`, or 0. */
export function find_vma(k: Kernel, p: number, addr: number): number {
  for (let s = 0; s < k.L.vmaSlots; s++) {
    const v = k.L.vma(p, s);
    if (!(k.vm_flags(v) & VMA_USED)) break;
    if (k.vma_lo(v) <= addr && addr < k.vma_hi(v)) return v;
  }
  return 0;
}

/** The first VMA of `p` that intersects [start, end), or 0. */
export function find_vma_intersection(k: Kernel, p: number, start: number, end: number): number {
  for (let s = 0; s < k.L.vmaSlots; s++) {
    const v = k.L.vma(p, s);
    if (!(k.vm_flags(v) & VMA_USED)) break;
    if (k.vma_lo(v) < end && start < k.vma_hi(v)) return v;
  }
  return 0;
}

/** The VMAs of `p` that intersect [start, end), in address order (for_each_vma_range). */
export function vmas_in_range(k: Kernel, p: number, start: number, end: number): number[] {
  const out: number[] = [];
  for (let s = 0; s < k.L.vmaSlots; s++) {
    const v = k.L.vma(p, s);
    if (!(k.vm_flags(v) & VMA_USED)) break;
    if (k.vma_lo(v) < end && start < k.vma_hi(v)) out.push(v);
  }
  return out;
}

/** Whether VMAs `vmas` (vmas_in_range of [start, end)) cover it with no hole. */
export function covers(k: Kernel, vmas: readonly number[], start: number, end: number): boolean {
  let cursor = start;
  for (const v of vmas) {
    if (k.vma_lo(v) > cursor) return false;
    cursor = k.vma_hi(v);
  }
  return cursor >= end;
}

/** mm->map_count: how many VMAs `p` has (its slots in use). */
export function map_count(k: Kernel, p: number): number {
  let n = 0;
  while (n < k.L.vmaSlots && k.vm_flags(k.L.vma(p, n)) & VMA_USED) n++;
  return n;
}

/** Every VMA of `p`, in address order. */
export function vmas_of(k: Kernel, p: number): number[] {
  const out: number[] = [];
  for (let s = 0, n = map_count(k, p); s < n; s++) out.push(k.L.vma(p, s));
  return out;
}

/** vma_link: insert a VMA (a copy of the words `rec`) in address order; returns its handle. */
export function vma_link(k: Kernel, p: number, rec: ArrayLike<number>): number {
  const start = rec[VM_NR_PAGES] ? small_addr(rec[VM_START]!, rec[VM_PGOFF]!) : rec[VM_START]!;
  const n = map_count(k, p);
  if (n >= k.L.vmaSlots) throw new ModelError("no free VMA slot: the scenario needs more vmaSlots");
  let s = 0;
  while (s < n && k.vma_lo(k.L.vma(p, s)) < start) s++;
  const at = k.L.vma(p, s);
  k.w_copy(at + VMA_SIZE, at, k.L.vma(p, n));
  for (let i = 0; i < VMA_SIZE; i++) k.w(at + i, rec[i]!);
  return at;
}

/** vma_unlink / remove_vma: drop the slot, closing the gap. */
export function vma_unlink(k: Kernel, v: number): void {
  const p = k.L.vmaProc(v);
  const last = k.L.vma(p, k.L.vmaSlots);
  k.w_copy(v, v + VMA_SIZE, last);
  k.w_fill(last - VMA_SIZE, last, 0);
}

/** A VMA record, for vma_link. */
export function vma_record(start: number, end: number, pgoff: number, flags: number, file: number): Int32Array {
  const r = new Int32Array(VMA_SIZE);
  r[VM_START] = start;
  r[VM_END] = end;
  r[VM_PGOFF] = pgoff;
  r[VM_FLAGS] = flags | VMA_USED;
  r[VM_FILE] = file;
  return r;
}

/** vm_area_dup's copy, reused: each caller hands it to vma_link before the next dup. */
const dup = new Int32Array(VMA_SIZE);

/**
 * vm_area_dup: a copy of every field, vm_private_data included (that is what split copies),
 * valid until the next call (split and fork run it on every step that copies a VMA).
 */
export function vm_area_dup(k: Kernel, v: number): Int32Array {
  for (let i = 0; i < VMA_SIZE; i++) dup[i] = k.a[v + i]!;
  return dup;
}

export function set_vm_range(k: Kernel, v: number, start: number, end: number, pgoff: number): void {
  k.w(v + VM_START, start);
  k.w(v + VM_END, end);
  k.w(v + VM_PGOFF, pgoff);
}

export function set_vm_flags(k: Kernel, v: number, flags: number): void {
  k.w(v + VM_FLAGS, flags);
}

/**
 * lock_mm_and_find_vma: mmap_lock for read, then the VMA at the operation's address if `usable`
 * accepts it (given the thread, so that callers pass a function made once, not one per step).
 * Returns the VMA with the lock held; BLOCKED; or 0 with the lock released again.
 */
export function lock_mm_and_find_vma(k: Kernel, t: number, usable: (k: Kernel, t: number, vma: number) => boolean): number {
  const op = k.op(t);
  if (!k.down_read_trylock(k.mmap_lock(op.proc), t)) return BLOCKED;
  const vma = find_vma(k, op.proc, small_addr(op.addr, op.page));
  if (vma && usable(k, t, vma)) return vma;
  k.up_read(k.mmap_lock(op.proc), t);
  return 0;
}
