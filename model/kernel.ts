/**
 * A view of one state as the kernel's objects. The model's kernel functions take a Kernel and
 * read and write fields through it; underneath, every field is a word of one Int32Array.
 */
import type { ModelConfig, OpCall } from "./config.js";
import * as S from "./layout.js";
import { Layout } from "./layout.js";
import { StateView } from "./state-view.js";
import { ModelError } from "../core/procedure.js";
import { Splat, UninitUse } from "./splat.js";
import type { Variant } from "./variant.js";

/** How a lock was released wrongly (layout.ts LOCK_MISUSE_HOW, low 4 bits). */
export const LockMisuse = { NOT_HELD: 1, OTHER_THREAD: 2, UP_READ_OF_WRITER: 3, UP_WRITE_OF_READERS: 4 } as const;

/** Locals every procedure uses the same way, so invariants can read them. */
export const L_FAULT_PTE = 0; // offset + 1 of the pte a fault works on (0: not in a fault)
export const L_ORIG_PTE = 1; // the pte value the fault last based a decision on
export const L_PAGE = 2; // a page the thread holds a reference on (0: none)
export const L_NEW = 3; // a second page the thread holds a reference on
export const L_VMA = 4;
export const L_IDX = 5;
export const L_LOCKED = 6; // the page whose lock the thread holds (0: none)
export const L_FLAGS = 7; // per-procedure scratch (fault: NEW_FOLIO bits; truncate: freed; 4 KiB: FOLL_*, FAULT_FLAG_*)
export const L_GUP = 8; // the page get_user_pages handed to its caller (0: none)
export const L_TLB = 9; // the hugetlb pages in the thread's mmu_gather, bit g − 1 for page g (model/mm/mmu_gather.ts)

/**
 * How a MAP_PRIVATE owner's reservation is kept, as the variant's era has it: the functions of
 * mm/hugetlb.c that differ between schemes (model/hugetlb/reserve.ts for today's resv_map,
 * reserve.v2.6.26.ts for the count in vm_private_data). Reached through the Kernel because the
 * pool and the fault, unmap and mmap paths all call them.
 */
export interface PrivateReserveScheme {
  /** vma_needs_reservation for the owner's index idx: 0 when a reservation is there to consume. */
  owner_needs_reservation(k: Kernel, vma: number, idx: number): number;
  /** The owner's fault consumed a reservation (vma_commit_reservation). */
  consumed(k: Kernel, vma: number): void;
  /** The owner's index holds a reservation again (vma_add_reservation). */
  restored(k: Kernel, vma: number): void;
  /** hugetlb_reserve_pages reserved chg pages for the new owner. */
  reserved(k: Kernel, vma: number, chg: number): void;
  /** hugetlb_vm_op_close: how many pages the owner's VMA still reserves. */
  unused(k: Kernel, vma: number): number;
}

/** What the model built for a variant resolved that kernel functions reach through the Kernel. */
export interface KernelEras {
  readonly privateReserve: PrivateReserveScheme;
}

export class Kernel extends StateView {
  readonly L: Layout;

  constructor(
    readonly cfg: ModelConfig,
    readonly variant: Variant,
    readonly eras: KernelEras,
    a?: Int32Array,
    layout?: Layout,
  ) {
    const L = layout ?? new Layout(cfg);
    super(a ?? new Int32Array(L.size));
    this.L = L;
  }

  /**
   * Called by era code the variant selects when it runs (model/changed.ts): the machine marks
   * the step running (ThreadMachine.markChanged).
   */
  reached: () => void = () => undefined;

  /** A view of another state array with the same configuration. */
  view(a: Int32Array): Kernel {
    const v = new Kernel(this.cfg, this.variant, this.eras, a, this.L);
    v.reached = this.reached;
    return v;
  }

  // ---- struct hstate ------------------------------------------------------------------
  get nr_huge_pages(): number {
    return this.a[S.NR_HUGE_PAGES]!;
  }
  set nr_huge_pages(v: number) {
    if (v === S.POISON) this.uninit(UninitUse.COUNTER);
    this.w(S.NR_HUGE_PAGES, v);
  }
  get free_huge_pages(): number {
    return this.a[S.FREE_HUGE_PAGES]!;
  }
  set free_huge_pages(v: number) {
    if (v === S.POISON) this.uninit(UninitUse.COUNTER);
    this.w(S.FREE_HUGE_PAGES, v);
  }
  get resv_huge_pages(): number {
    return this.a[S.RESV_HUGE_PAGES]!;
  }
  set resv_huge_pages(v: number) {
    if (v === S.POISON) this.uninit(UninitUse.COUNTER);
    this.w(S.RESV_HUGE_PAGES, v);
  }
  get surplus_huge_pages(): number {
    return this.a[S.SURPLUS_HUGE_PAGES]!;
  }
  set surplus_huge_pages(v: number) {
    if (v === S.POISON) this.uninit(UninitUse.COUNTER);
    this.w(S.SURPLUS_HUGE_PAGES, v);
  }
  get nr_overcommit_huge_pages(): number {
    return this.cfg.pool.overcommit;
  }

  // ---- inodes ------------------------------------------------------------------------
  i_size(f: number): number {
    return this.a[this.L.inode(f) + S.I_SIZE]!;
  }
  set_i_size(f: number, v: number): void {
    this.w(this.L.inode(f) + S.I_SIZE, v);
  }
  /** The inode's reserve map (MAP_SHARED), as a set of indices (bit i = index i). */
  inode_resv_map(f: number): number {
    return this.a[this.L.inode(f) + S.I_RESV_MAP]!;
  }
  set_inode_resv_map(f: number, regions: number): void {
    this.w(this.L.inode(f) + S.I_RESV_MAP, regions);
  }
  /** filemap_get_folio: the page-cache page at (f, idx), or 0. */
  page_cache(f: number, idx: number): number {
    return this.a[this.L.cache(f, idx)]!;
  }
  set_page_cache(f: number, idx: number, g: number): void {
    this.w(this.L.cache(f, idx), g);
  }

  // ---- shmem inodes (MAP_SHARED|MAP_ANONYMOUS) -----------------------------------------
  /** How many VMAs hold the shmem file: the last fput evicts the inode. */
  shmem_vmas(i: number): number {
    return this.a[this.L.shmem(i) + S.SHM_VMAS]!;
  }
  set_shmem_vmas(i: number, n: number): void {
    this.w(this.L.shmem(i) + S.SHM_VMAS, n);
  }
  /** filemap_get_entry on the shmem inode: the page at index idx, or 0. */
  shmem_cache(i: number, idx: number): number {
    return this.a[this.L.shmemCache(i, idx)]!;
  }
  set_shmem_cache(i: number, idx: number, g: number): void {
    this.w(this.L.shmemCache(i, idx), g);
  }

  // ---- 4 KiB files (files4k, seed 004) ----------------------------------------------
  file4k_i_size(f: number): number {
    return this.a[this.L.file4k(f) + S.F4_SIZE]!;
  }
  set_file4k_i_size(f: number, v: number): void {
    this.w(this.L.file4k(f) + S.F4_SIZE, v);
  }
  /** filemap_get_folio on the 4 KiB file: the page at idx, or 0. */
  file4k_cache(f: number, idx: number): number {
    return this.a[this.L.file4kCache(f, idx)]!;
  }
  set_file4k_cache(f: number, idx: number, g: number): void {
    this.w(this.L.file4kCache(f, idx), g);
  }
  file4k_i_mmap_rwsem(f: number): number {
    return this.L.file4k(f) + S.F4_I_MMAP_WRITER;
  }
  /** mapping->invalidate_lock (filemap_invalidate_lock): a rwsem. */
  invalidate_lock(f: number): number {
    return this.L.file4k(f) + S.F4_INVALIDATE_WRITER;
  }
  file4k_i_rwsem(f: number): number {
    return this.L.file4k(f) + S.F4_I_RWSEM;
  }
  dax_entry_lock(f: number, idx: number): number {
    return this.L.daxEntryLock(f, idx);
  }
  /** The block (a page id past the 4 KiB pages) holding the file's data at idx. */
  block(f: number, idx: number): number {
    return this.L.block(f, idx);
  }
  /** get_block without create: the index has an allocated block (buffer_mapped), not a hole. */
  buffer_mapped(f: number, idx: number): boolean {
    return this.page_state(this.L.block(f, idx)) === S.PAGE_IN_USE;
  }

  // ---- mm_struct ---------------------------------------------------------------------
  mm_state(p: number): number {
    return this.a[this.L.mm(p) + S.MM_STATE]!;
  }
  set_mm_state(p: number, v: number): void {
    this.w(this.L.mm(p) + S.MM_STATE, v);
  }
  pte(p: number, addr: number): number {
    return this.a[this.L.pte(p, addr)]!;
  }
  set_pte(p: number, addr: number, v: number): void {
    if (v === S.POISON) this.uninit(UninitUse.PTE);
    this.w(this.L.pte(p, addr), v);
  }
  /** Process p's pte for 4 KiB page `page` of slot `slot`. */
  small_pte(p: number, slot: number, page: number): number {
    return this.a[this.L.smallPte(p, slot, page)]!;
  }
  set_small_pte(p: number, slot: number, page: number, v: number): void {
    if (v === S.POISON) this.uninit(UninitUse.PTE);
    this.w(this.L.smallPte(p, slot, page), v);
  }

  // ---- vm_area_struct (a handle is the offset of its slot) ----------------------------
  vm_start(v: number): number {
    return this.a[v + S.VM_START]!;
  }
  vm_end(v: number): number {
    return this.a[v + S.VM_END]!;
  }
  vm_pgoff(v: number): number {
    return this.a[v + S.VM_PGOFF]!;
  }
  vm_flags(v: number): number {
    return this.a[v + S.VM_FLAGS]!;
  }
  vm_file(v: number): number {
    return this.a[v + S.VM_FILE]!;
  }
  /** A 4 KiB VMA's length in 4 KiB pages (0 for a huge one). */
  vm_nr_pages(v: number): number {
    return this.a[v + S.VM_NR_PAGES]!;
  }
  /** A 4 KiB VMA's first page in its slot (its vm_pgoff: layout.ts VM_NR_PAGES). */
  vm_first_page(v: number): number {
    return this.a[v + S.VM_PGOFF]!;
  }
  /** The page of its slot past a 4 KiB VMA's last. */
  vm_end_page(v: number): number {
    return this.a[v + S.VM_PGOFF]! + this.a[v + S.VM_NR_PAGES]!;
  }
  /** vma->vm_start in huge pages: a fraction for a 4 KiB VMA that does not start its slot. */
  vma_lo(v: number): number {
    return this.a[v + S.VM_NR_PAGES] ? this.a[v + S.VM_START]! + this.a[v + S.VM_PGOFF]! / S.SMALL_PER_HUGE : this.a[v + S.VM_START]!;
  }
  /** vma->vm_end in huge pages: a fraction for a 4 KiB VMA. */
  vma_hi(v: number): number {
    const n = this.a[v + S.VM_NR_PAGES]!;
    return n ? this.a[v + S.VM_START]! + (this.a[v + S.VM_PGOFF]! + n) / S.SMALL_PER_HUGE : this.a[v + S.VM_END]!;
  }
  is_vm_hugetlb_page(v: number): boolean {
    return (this.vm_flags(v) & S.VM_HUGETLB) !== 0;
  }
  /** vma_is_anonymous: private 4 KiB memory; a shared one has shmem's vm_ops, a file one the filesystem's. */
  vma_is_anonymous(v: number): boolean {
    return (this.vm_flags(v) & (S.VM_HUGETLB | S.VM_SHARED | S.VM_FILE4K)) === 0;
  }
  /** A mapping of a 4 KiB file (files4k). */
  vma_is_file4k(v: number): boolean {
    return (this.vm_flags(v) & S.VM_FILE4K) !== 0;
  }
  /** vma_resv_map: the private reserve map's slot, 0 for none. */
  vma_resv_map(v: number): number {
    return this.a[v + S.VM_RESV_MAP]!;
  }
  set_vma_resv_map(v: number, id: number): void {
    this.w(v + S.VM_RESV_MAP, id);
  }
  /** Before seed 003: the reservation count kept in vm_private_data. */
  vma_resv_huge_pages(v: number): number {
    return this.a[v + S.VM_RESV_COUNT]!;
  }
  set_vma_resv_huge_pages(v: number, n: number): void {
    this.w(v + S.VM_RESV_COUNT, n);
  }
  is_vma_resv_set(v: number, flag: number): boolean {
    return (this.vm_flags(v) & flag) !== 0;
  }
  /** set_vma_resv_flags: the HPAGE_RESV_* bits, kept beside vm_flags. */
  set_vma_resv_flags(v: number, flag: number): void {
    this.w(v + S.VM_FLAGS, this.a[v + S.VM_FLAGS]! | flag);
  }
  /** vmf_anon_prepare (anon_vma_prepare): a private VMA gets its anon_vma before its first anonymous page. */
  vmf_anon_prepare(v: number): void {
    this.w(v + S.VM_FLAGS, this.a[v + S.VM_FLAGS]! | S.VM_ANON_VMA);
  }
  /** vma_is_shmem: shared anonymous memory (a MAP_SHARED 4 KiB file mapping is the filesystem's). */
  vma_is_shmem(v: number): boolean {
    return (this.vm_flags(v) & (S.VM_HUGETLB | S.VM_SHARED | S.VM_FILE4K)) === S.VM_SHARED;
  }
  vma_is_shared(v: number): boolean {
    return (this.vm_flags(v) & S.VM_SHARED) !== 0;
  }
  /** vma_hugecache_offset: the file index that address `addr` of the VMA maps. */
  vma_hugecache_offset(v: number, addr: number): number {
    return this.vm_pgoff(v) + (addr - this.vm_start(v));
  }

  // ---- resv_map (MAP_PRIVATE) ---------------------------------------------------------
  resv_refs(id: number): number {
    return this.a[this.L.resv(id) + S.RESV_REFS]!;
  }
  set_resv_refs(id: number, n: number): void {
    this.w(this.L.resv(id) + S.RESV_REFS, n);
  }
  resv_regions(id: number): number {
    return this.a[this.L.resv(id) + S.RESV_REGIONS]!;
  }
  set_resv_regions(id: number, regions: number): void {
    this.w(this.L.resv(id) + S.RESV_REGIONS, regions);
  }

  // ---- struct folio -------------------------------------------------------------------
  page_ref(g: number): number {
    return this.a[this.L.page(g) + S.PG_REF]!;
  }
  folio_get(g: number): void {
    if (this.a[this.L.page(g) + S.PG_REF]! <= 0 && !this.is_reserved_zero(g)) this.splat(Splat.FOLIO_GET_ZERO);
    this.w(this.L.page(g) + S.PG_REF, this.a[this.L.page(g) + S.PG_REF]! + 1);
  }
  /** folio_ref_dec: the caller frees the page when this returns 0 (see folio_put in pool.ts). */
  folio_ref_dec(g: number): number {
    const off = this.L.page(g) + S.PG_REF;
    if (this.a[off]! <= 0 && !this.is_reserved_zero(g)) this.splat(Splat.FOLIO_PUT_ZERO);
    this.w(off, this.a[off]! - 1);
    return this.a[off]!;
  }
  /** set_page_refcounted: a page just taken from an allocator gets its first reference. */
  set_page_refcounted(g: number): void {
    this.w(this.L.page(g) + S.PG_REF, 1);
  }
  page_mapcount(g: number): number {
    return this.a[this.L.page(g) + S.PG_MAPCOUNT]!;
  }
  add_mapcount(g: number, d: number): void {
    this.w(this.L.page(g) + S.PG_MAPCOUNT, this.a[this.L.page(g) + S.PG_MAPCOUNT]! + d);
  }
  page_state(g: number): number {
    return this.a[this.L.page(g) + S.PG_STATE]!;
  }
  set_page_state(g: number, v: number): void {
    this.w(this.L.page(g) + S.PG_STATE, v);
  }
  page_test(g: number, flag: number): boolean {
    return (this.a[this.L.page(g) + S.PG_FLAGS]! & flag) !== 0;
  }
  page_set(g: number, flag: number): void {
    this.w(this.L.page(g) + S.PG_FLAGS, this.a[this.L.page(g) + S.PG_FLAGS]! | flag);
  }
  page_clear(g: number, flag: number): void {
    this.w(this.L.page(g) + S.PG_FLAGS, this.a[this.L.page(g) + S.PG_FLAGS]! & ~flag);
  }
  /** folio->mapping: file + 1 for a page-cache page (0 for an anonymous one). */
  page_mapping(g: number): number {
    return this.a[this.L.page(g) + S.PG_MAPPING]!;
  }
  page_index(g: number): number {
    return this.a[this.L.page(g) + S.PG_INDEX]!;
  }
  set_page_mapping(g: number, file1: number, idx: number): void {
    const o = this.L.page(g);
    this.w(o + S.PG_MAPPING, file1);
    this.w(o + S.PG_INDEX, idx);
  }
  /** folio_test_hugetlb: a page of the hugetlb pool (the others are 4 KiB pages). */
  folio_test_hugetlb(g: number): boolean {
    return g <= this.L.pages;
  }
  is_zero_page(g: number): boolean {
    return g === this.L.zeroPage;
  }
  /** is_huge_zero_folio: the huge zero page of a scenario with THP mappings. */
  is_huge_zero_folio(g: number): boolean {
    return g === this.L.hugeZeroPage && g !== 0;
  }
  /**
   * The zero page or the huge zero page: never freed, and counted by the model only for the
   * references (and, for the huge one, pins) get_user_pages takes on it (the kernel's
   * huge_zero_refcount per mm is not kept).
   */
  is_reserved_zero(g: number): boolean {
    return this.is_zero_page(g) || this.is_huge_zero_folio(g);
  }
  page_content(g: number): number {
    return this.a[this.L.page(g) + S.PG_CONTENT]!;
  }
  set_page_content(g: number, v: number): void {
    this.w(this.L.page(g) + S.PG_CONTENT, v);
  }
  /** The page's pins (FOLL_PIN); folio_maybe_dma_pinned when non-zero. */
  page_pins(g: number): number {
    return this.a[this.L.page(g) + S.PG_PINS]!;
  }
  add_pins(g: number, d: number): void {
    this.w(this.L.page(g) + S.PG_PINS, this.a[this.L.page(g) + S.PG_PINS]! + d);
  }
  /** Zeroes a page slot: freed pages carry nothing, so equal pools encode equally. */
  clear_page_struct(g: number): void {
    this.w_fill(this.L.page(g), this.L.page(g) + S.PAGE_SIZE_WORDS, 0);
  }

  // ---- threads ------------------------------------------------------------------------
  thread_op(t: number): number {
    return this.a[this.L.thread(t) + S.TH_OP]!;
  }
  thread_pc(t: number): number {
    return this.a[this.L.thread(t) + S.TH_PC]!;
  }
  thread_result(t: number): number {
    return this.a[this.L.thread(t) + S.TH_RESULT]!;
  }
  set_result(t: number, r: number): void {
    if (r === S.POISON) this.uninit(UninitUse.RETURNED, t);
    this.w(this.L.thread(t) + S.TH_RESULT, r);
  }
  local(t: number, i: number): number {
    return this.a[this.L.thread(t) + S.TH_LOCALS + i]!;
  }
  set_local(t: number, i: number, v: number): void {
    this.w(this.L.thread(t) + S.TH_LOCALS + i, v);
  }
  /** The operation thread t is running, with its arguments. */
  op(t: number): OpCall {
    return this.opsOf(t)[this.thread_op(t)]!;
  }
  opsOf(t: number): readonly OpCall[] {
    return t < this.cfg.threads.length ? this.cfg.threads[t]!.ops : this.setupOps;
  }
  /** Set by the setup runner: the operations the setup thread slot runs. */
  setupOps: readonly OpCall[] = [];

  // ---- locks (holder is thread + 1; a rwsem keeps its readers as a bit mask) -----------
  // The page-table lock is the one spinlock held across steps (spin_lock); every other lock
  // here sleeps (mutex_lock, down_read, down_write, folio_lock), and taking one while holding
  // the PTL is a splat (might_sleep). A release by a thread that does not hold the lock is
  // recorded in the state (LOCK_MISUSE) for lock-balance, and the lock released as the C would.

  /** spin_lock at the start of a step: false means the step is blocked. */
  spin_lock(off: number, t: number): boolean {
    if (this.a[off] !== 0) return false;
    this.w(off, t + 1);
    return true;
  }
  spin_unlock(off: number, t: number): void {
    this.release(off, t);
  }
  /** mutex_lock / folio_lock at the start of a step: false means the step is blocked. */
  trylock(off: number, t: number): boolean {
    this.might_sleep(t);
    if (this.a[off] !== 0) return false;
    this.w(off, t + 1);
    return true;
  }
  /** A lock taken inside a step where no thread can hold it; if one does, the model is wrong. */
  lock_uncontended(off: number, t: number, what: string): void {
    if (this.a[off] !== 0) throw new ModelError(`${what} is held inside an atomic step: cut the step here`);
    this.w(off, t + 1);
  }
  /** mutex_unlock / folio_unlock. */
  unlock(off: number, t: number): void {
    this.release(off, t);
  }
  private release(off: number, t: number): void {
    const holder = this.a[off]!;
    if (holder !== t + 1) this.lock_misuse(off, t, holder ? LockMisuse.OTHER_THREAD : LockMisuse.NOT_HELD, holder - 1);
    this.w(off, 0);
  }
  down_read_trylock(writerOff: number, t: number): boolean {
    this.might_sleep(t);
    if (this.a[writerOff] !== 0) return false;
    this.w(writerOff + 1, this.a[writerOff + 1]! | 1 << t);
    return true;
  }
  down_write_trylock(writerOff: number, t: number): boolean {
    this.might_sleep(t);
    if (this.a[writerOff] !== 0 || this.a[writerOff + 1] !== 0) return false;
    this.w(writerOff, t + 1);
    return true;
  }
  up_read(writerOff: number, t: number): void {
    const readers = this.a[writerOff + 1]!;
    if (!(readers & (1 << t))) {
      const writer = this.a[writerOff]!;
      if (writer) this.lock_misuse(writerOff, t, LockMisuse.UP_READ_OF_WRITER, writer - 1);
      else this.lock_misuse(writerOff, t, readers ? LockMisuse.OTHER_THREAD : LockMisuse.NOT_HELD, 31 - Math.clz32(readers & -readers));
    }
    this.w(writerOff + 1, readers & ~(1 << t));
  }
  up_write(writerOff: number, t: number): void {
    const writer = this.a[writerOff]!;
    if (writer !== t + 1) {
      const readers = this.a[writerOff + 1]!;
      if (writer) this.lock_misuse(writerOff, t, LockMisuse.OTHER_THREAD, writer - 1);
      else this.lock_misuse(writerOff, t, readers ? LockMisuse.UP_WRITE_OF_READERS : LockMisuse.NOT_HELD, 31 - Math.clz32(readers & -readers));
    }
    this.w(writerOff, 0);
  }
  /** The first wrong release of the step: lock word off, how, and the thread that held it (−1: none). */
  private lock_misuse(off: number, t: number, how: number, holder: number): void {
    if (this.a[S.LOCK_MISUSE] !== 0) return;
    this.w(S.LOCK_MISUSE, off + 1);
    this.w(S.LOCK_MISUSE_HOW, how | ((holder + 1) << 4) | ((t + 1) << 12));
  }
  /** might_sleep: thread t is about to sleep; holding a spinlock (the PTL of any mm) is a splat. */
  might_sleep(t: number): void {
    const L = this.L;
    for (let off = L.mmBase + S.MM_PTL, end = L.mmBase + L.procs * L.mmStride; off < end; off += L.mmStride)
      if (this.a[off] === t + 1) return this.splat(Splat.SLEEP_IN_ATOMIC, t);
  }
  /**
   * The kernel reached the check of splat site `site` (model/splat.ts) with its condition true,
   * in thread t when the caller knows it. The step's first splat is the one the kernel prints.
   */
  splat(site: number, t = -1): void {
    if (this.a[S.SPLAT] === 0) this.w(S.SPLAT, site | ((t + 1) << 8));
  }
  /** An uninitialised value (POISON) was used as `use` (model/splat.ts UninitUse), by thread t if known. */
  uninit(use: number, t = -1): void {
    if (this.a[S.UNINIT_USE] === 0) this.w(S.UNINIT_USE, use | ((t + 1) << 8));
  }

  mmap_lock(p: number): number {
    return this.L.mm(p) + S.MM_MMAP_WRITER;
  }
  ptl(p: number): number {
    return this.L.mm(p) + S.MM_PTL;
  }
  i_mmap_rwsem(f: number): number {
    return this.L.inode(f) + S.I_MMAP_WRITER;
  }
  i_unlinked(f: number): boolean {
    return this.a[this.L.inode(f) + S.I_UNLINKED] !== 0;
  }
  set_i_unlinked(f: number): void {
    this.w(this.L.inode(f) + S.I_UNLINKED, 1);
  }
  /** The word of the j-th page get_user_pages holds for thread t (L_GUP, then Layout.gupExtra). */
  gup_page_word(t: number, j: number): number {
    return j === 0 ? this.L.thread(t) + S.TH_LOCALS + L_GUP : this.L.gupExtra(t, j);
  }
  gup_page(t: number, j: number): number {
    return this.a[this.gup_page_word(t, j)]!;
  }
  set_gup_page(t: number, j: number, g: number): void {
    this.w(this.gup_page_word(t, j), g);
  }
  /** References to hugetlbfs file f held outside its VMAs (layout.ts I_FILE_REFS). */
  i_file_refs(f: number): number {
    return this.a[this.L.inode(f) + S.I_FILE_REFS]!;
  }
  set_i_file_refs(f: number, n: number): void {
    this.w(this.L.inode(f) + S.I_FILE_REFS, n);
  }
  /** subpool_inode: the subpool of the file's mount (the file's index), or −1 for none. */
  subpool_inode(f: number): number {
    const c = this.cfg.files[f]!;
    return c.maxHpages !== -1 || c.minHpages !== -1 ? f : -1;
  }
  spool_max_hpages(spool: number): number {
    return this.cfg.files[spool]!.maxHpages;
  }
  spool_min_hpages(spool: number): number {
    return this.cfg.files[spool]!.minHpages;
  }
  spool_used_hpages(spool: number): number {
    return this.a[this.L.inode(spool) + S.I_SPOOL_USED]!;
  }
  set_spool_used_hpages(spool: number, v: number): void {
    this.w(this.L.inode(spool) + S.I_SPOOL_USED, v);
  }
  spool_rsv_hpages(spool: number): number {
    return this.a[this.L.inode(spool) + S.I_SPOOL_RSV]!;
  }
  set_spool_rsv_hpages(spool: number, v: number): void {
    this.w(this.L.inode(spool) + S.I_SPOOL_RSV, v);
  }
  /** hugetlb_folio_subpool: the subpool a page was allocated against, or −1. */
  hugetlb_folio_subpool(g: number): number {
    return (this.a[this.L.page(g) + S.PG_FLAGS]! >> S.PG_SUBPOOL_SHIFT) - 1;
  }
  hugetlb_set_folio_subpool(g: number, spool: number): void {
    const flags = this.a[this.L.page(g) + S.PG_FLAGS]! & ((1 << S.PG_SUBPOOL_SHIFT) - 1);
    this.w(this.L.page(g) + S.PG_FLAGS, flags | ((spool + 1) << S.PG_SUBPOOL_SHIFT));
  }
  /** inode_lock: held by truncate (do_truncate) and by hugetlbfs_file_mmap. */
  i_rwsem(f: number): number {
    return this.L.inode(f) + S.I_RWSEM;
  }
  /** hugetlb_fault_mutex_table[hash(mapping, idx)], or the one hugetlb_instantiation_mutex. */
  hugetlb_fault_mutex(f: number, idx: number): number {
    return this.variant.faultMutex === "global" ? this.L.faultMutex(0, 0) : this.L.faultMutex(f, idx);
  }
  /** mutex_lock(&hugetlb_fault_mutex_table[hash]): false means the step is blocked. */
  hugetlb_fault_mutex_lock(f: number, idx: number, t: number): boolean {
    return this.variant.faultMutex === "none" || this.trylock(this.hugetlb_fault_mutex(f, idx), t);
  }
  hugetlb_fault_mutex_unlock(f: number, idx: number, t: number): void {
    if (this.variant.faultMutex !== "none") this.unlock(this.hugetlb_fault_mutex(f, idx), t);
  }
  folio_lock_word(g: number): number {
    return this.L.page(g) + S.PG_LOCK;
  }
  /** folio_test_locked: some thread holds g's page lock. */
  folio_test_locked(g: number): boolean {
    return this.a[this.folio_lock_word(g)] !== 0;
  }
}
