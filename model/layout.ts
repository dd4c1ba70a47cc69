/**
 * The state's one canonical encoding: a flat Int32Array, every object at a fixed offset.
 * Equal kernel states give equal arrays (pages are taken lowest-numbered first, freed slots are
 * zeroed, VMAs are kept sorted by address), so the array can be hashed and compared as is, and
 * shipped between worker threads as bytes.
 */
import type { ModelConfig } from "./config.js";

/** Global pool counters (kernel-notes §1). */
export const NR_HUGE_PAGES = 0;
export const FREE_HUGE_PAGES = 1;
export const RESV_HUGE_PAGES = 2;
export const SURPLUS_HUGE_PAGES = 3;
/**
 * What a step noticed and recorded for the step invariants to read, 0 when nothing (a step that
 * records one ends the search with a violation, so these stay 0 in every state explored past):
 * the kernel splat it reached (model/splat.ts site id), a lock it released wrongly (the lock's
 * word + 1, and how: LockMisuse | (holder + 1) << 4), and the first use of an uninitialised
 * value (model/splat.ts use site id).
 */
export const SPLAT = 4;
export const LOCK_MISUSE = 5;
export const LOCK_MISUSE_HOW = 6;
export const UNINIT_USE = 7;
const GLOBALS = 8;

/**
 * The value of a C local declared without an initialiser, until the code assigns it (the
 * kernel's own poison bytes, 0x6b). Never a page id, pte, count or result the model computes.
 */
export const POISON = 0x6b6b6b6b;

/** Per inode: i_size, the shared reserve map (bit i: index i covered), i_mmap_rwsem, i_rwsem. */
export const I_SIZE = 0;
export const I_RESV_MAP = 1;
export const I_MMAP_WRITER = 2;
export const I_MMAP_READERS = 3;
/** inode_lock (i_rwsem), only ever taken for write by the paths modelled. */
export const I_RWSEM = 4;
/** The file has no name any more (unlinked, or MAP_HUGETLB's internal file): evicted when unused. */
export const I_UNLINKED = 5;
/**
 * The hugepage_subpool of the file's hugetlbfs mount (a scenario's file with `size`/`min_size`
 * is a mount of its own): used_hpages and rsv_hpages; max_hpages and min_hpages are mount
 * options, constant (ModelConfig). Zero for a file on a mount without a subpool.
 */
export const I_SPOOL_USED = 6;
export const I_SPOOL_RSV = 7;
/**
 * References to the file other than its VMAs': madvise_willneed's get_file across vfs_fadvise,
 * while mmap_lock is dropped. An unlinked file is evicted at the last one's fput.
 */
export const I_FILE_REFS = 8;
const INODE_FIXED = 9;

/**
 * Per shmem inode (the file behind a MAP_SHARED|MAP_ANONYMOUS mapping, shmem_zero_setup): the
 * VMAs that hold the file (its last fput evicts it), then its page cache.
 */
export const SHM_VMAS = 0;
const SHMEM_FIXED = 1;

/**
 * Per 4 KiB file (files4k: a file on a block or DAX filesystem, seed 004): i_size in 4 KiB pages,
 * i_mmap_rwsem (seed 004's i_mmap_mutex is the same lock held for write), mapping->invalidate_lock
 * (today's filesystems hold it across a fault and a truncate), i_rwsem; then per index the
 * page-cache page and (today's DAX) the mapping entry's lock. The data lives in block slots of
 * the page array (Layout.block).
 */
export const F4_SIZE = 0;
export const F4_I_MMAP_WRITER = 1;
export const F4_I_MMAP_READERS = 2;
export const F4_INVALIDATE_WRITER = 3;
export const F4_INVALIDATE_READERS = 4;
export const F4_I_RWSEM = 5;
const FILE4K_FIXED = 6;

/** Per process (mm): alive, mmap_lock, page-table lock, then VMA slots, huge ptes, 4 KiB ptes. */
export const MM_STATE = 0;
export const MM_MMAP_WRITER = 1;
export const MM_MMAP_READERS = 2;
export const MM_PTL = 3;
const MM_FIXED = 4;
export const MM_UNBORN = 0;
export const MM_ALIVE = 1;
export const MM_EXITED = 2;

/** Per VMA slot. */
export const VM_START = 0;
export const VM_END = 1;
export const VM_PGOFF = 2;
export const VM_FLAGS = 3;
export const VM_FILE = 4;
/** Private reserve map: slot + 1, 0 for none (vm_private_data without its flag bits). */
export const VM_RESV_MAP = 5;
/** Before seed 003, vm_private_data held a reservation count instead of a map. */
export const VM_RESV_COUNT = 6;
/**
 * A 4 KiB VMA's length in 4 KiB pages. It lies inside its slot (VM_START, VM_END: the slot's
 * huge page): its first page there is VM_PGOFF (mmap4k maps from the file's start, so that is
 * the file index too; an anonymous VMA's pgoff counts pages from its slot's start, as the
 * kernel's counts them from address 0), so a split VMA's halves share the slot.
 */
export const VM_NR_PAGES = 7;
/** 4 KiB pages in a 2 MiB huge page: a 4 KiB VMA's bounds in huge pages are fractions with this denominator. */
export const SMALL_PER_HUGE = 512;
/**
 * A shared hugetlb VMA's own hugetlb_vma_lock (its rw_sema: writer, then readers), which the
 * kernel hangs off vm_private_data. Kept in the slot: a VMA moves between slots only under
 * mmap_lock for write, when no fault or zap of the mm holds the lock.
 */
export const VM_LOCK_WRITER = 8;
export const VM_LOCK_READERS = 9;
export const VMA_SIZE = 10;

/** VMA flag bits (vm_flags plus the HPAGE_RESV_* bits kept in vm_private_data). */
export const VMA_USED = 1;
export const VM_SHARED = 2;
export const VM_WRITE = 4;
export const VM_NORESERVE = 8;
export const HPAGE_RESV_OWNER = 16;
export const HPAGE_RESV_UNMAPPED = 32;
/** vma->anon_vma is set: the VMA has had anonymous pages (fork copies its ptes). */
export const VM_ANON_VMA = 64;
/** is_vm_hugetlb_page; a VMA without it maps 4 KiB anonymous memory (private, or shmem). */
export const VM_HUGETLB = 128;
export const VM_LOCKED = 256;
/** A mapping of seed 002's /dev/page-huge: its faults go to the device's page_fault. */
export const VM_PAGE_HUGE_DEV = 512;
/** A private mapping of a 4 KiB file (files4k): vm_ops->fault is filemap_fault or the DAX fault. */
export const VM_FILE4K = 1024;
/** A DAX mapping maps the file's blocks by pfn (dax_insert_mapping): pte_special, no struct page. */
export const VM_MIXEDMAP = 2048;
/**
 * madvise(MADV_HUGEPAGE) on a 2 MiB-aligned private anonymous VMA of a whole slot (mmap4k `thp`):
 * its faults may map a transparent huge page by pmd (model/mm/huge_memory.ts).
 */
export const VM_HUGEPAGE = 4096;

/** Private reserve map slot: kref, the consumed indices, and rw_sema (writer, then readers). */
export const RESV_REFS = 0;
export const RESV_REGIONS = 1;
export const RESV_RW_WRITER = 2;
export const RESV_RW_READERS = 3;
export const RESV_SIZE = 4;

/**
 * Per page (ids start at 1; 0 is NULL): the hugetlb pool's pages 1…pages, then the zero page,
 * then the 4 KiB pages, then the blocks of the 4 KiB files (a block is PAGE_IN_USE when
 * allocated, with its data in PG_CONTENT; a hole is PAGE_BUDDY). PG_REF counts references, a pin (FOLL_PIN) as one; PG_PINS the pins.
 */
export const PG_REF = 0;
export const PG_MAPCOUNT = 1;
export const PG_STATE = 2;
export const PG_FLAGS = 3;
/** File + 1 for a page-cache page, 0 for an anonymous or not yet added page. */
export const PG_MAPPING = 4;
/** folio->index: the file index of a page-cache page, the VMA's linear index of an anonymous hugetlb page. */
export const PG_INDEX = 5;
export const PG_LOCK = 6;
/** What the page holds: 0 when zeroed; a store writes the storing thread's number + 1. */
export const PG_CONTENT = 7;
export const PG_PINS = 8;
/** PG_CONTENT of a 4 KiB file's blocks written before the scenario starts. */
export const FILE_DATA = 100;
export const PAGE_SIZE_WORDS = 9;
/** PG_STATE: a slot is with the buddy allocator, on the hugetlb free list, or in use. */
export const PAGE_BUDDY = 0;
export const PAGE_FREE = 1;
export const PAGE_IN_USE = 2;
/** PG_FLAGS bits. */
export const PG_ANON = 1;
export const PG_RESTORE_RESERVE = 2;
/** PageAnonExclusive: only one process maps this anonymous page (today's COW, fork and GUP). */
export const PG_ANON_EXCLUSIVE = 4;
/**
 * Isolated for migration (folio_isolate_lru, isolate_hugetlb took it off its list): a second
 * isolation fails, so two migrations never move the same page.
 */
export const PG_ISOLATED = 8;
/** hugetlb_folio_subpool: the file (+ 1) whose mount's subpool the page was charged to, above these bits. */
export const PG_SUBPOOL_SHIFT = 4;
/**
 * folio_test_large of a PMD-order anonymous folio (a THP, from the buddy allocator): one page
 * slot stands for its 512 pages. Far above the subpool bits, which only hugetlb pages carry.
 */
export const PG_HEAD = 1 << 24;

/** Per thread: the operation it is in, the step, and the operation's locals. */
export const TH_OP = 0;
export const TH_PC = 1;
/** The result of the thread's last operation (see Result in types.ts). */
export const TH_RESULT = 2;
export const TH_LOCALS = 3;
export const NR_LOCALS = 10;
export const THREAD_SIZE = TH_LOCALS + NR_LOCALS;

/**
 * A pte: 0 is none; else the page id shifted, with the write bit and pte_special; or, negative
 * (the bitwise complement of such a value, so that a state still packs a byte a word), a
 * migration entry, whose write bit says writable and whose PTE_SPECIAL bit says the page was
 * exclusive (make_readable_exclusive_migration_entry).
 */
export const PTE_WRITE = 1;
export const PTE_SPECIAL = 2;
/** pmd_dirty, kept for the pmds of THP mappings only (touch_pmd, can_follow_write_pmd of v4.14). */
export const PTE_DIRTY = 4;
export const PTE_SHIFT = 3;

export class Layout {
  readonly files: number;
  readonly filePages: number;
  readonly procs: number;
  readonly vmaSlots: number;
  readonly addrPages: number;
  readonly resvMaps: number;
  /** The hugetlb pool's page slots: ids 1…pages. */
  readonly pages: number;
  /** The zero page's id (ZERO_PAGE(0)), right after the hugetlb pages. */
  readonly zeroPage: number;
  /**
   * The huge zero page's id (huge_zero_folio), right after the zero page, in a scenario with a
   * THP mapping; 0 otherwise.
   */
  readonly hugeZeroPage: number;
  /** 4 KiB page slots (THPs among them): ids firstSmallPage … lastPage. */
  readonly firstSmallPage: number;
  readonly smallPages: number;
  readonly lastPage: number;
  readonly shmemInodes: number;
  readonly files4k: number;
  /** The most pages a 4 KiB file has: its block ids are blockBase + f × file4kPages + idx. */
  readonly file4kPages: number;
  readonly blockBase: number;
  /** The last page id, blocks included. */
  readonly lastBlock: number;
  /** Threads of the scenario, plus one slot used only while the setup runs. */
  readonly threads: number;

  readonly inodeBase: number;
  readonly inodeStride: number;
  readonly shmemBase: number;
  readonly file4kBase: number;
  readonly file4kStride: number;
  readonly mmBase: number;
  readonly mmStride: number;
  readonly resvBase: number;
  readonly pageBase: number;
  readonly threadBase: number;
  /** Pages one get_user_pages call may hold (gup4k `pages`): L_GUP, then per thread gupPages − 1 words after the threads. */
  readonly gupPages: number;
  readonly gupBase: number;
  readonly size: number;
  /** Per slot: the offset of its first 4 KiB pte inside an mm's 4 KiB ptes, or −1. */
  private readonly smallSlotBase: Int32Array;
  /** Per shmem inode: its offset. */
  private readonly shmemOffsets: number[];
  private readonly smallPtes: number;
  private lockList?: { off: number; rw: boolean; name: string }[];
  private readonly cfgNames4k: readonly string[];

  constructor(cfg: ModelConfig) {
    this.files = cfg.files.length;
    this.filePages = Math.max(1, ...cfg.files.map((f) => f.pages));
    this.procs = cfg.processes.length;
    this.vmaSlots = cfg.vmaSlots;
    this.addrPages = cfg.addrPages;
    this.resvMaps = cfg.resvMaps;
    this.pages = cfg.pool.pages + cfg.pool.overcommit;
    this.zeroPage = this.pages + 1;
    this.hugeZeroPage = cfg.thp ? this.zeroPage + 1 : 0;
    this.firstSmallPage = (this.hugeZeroPage || this.zeroPage) + 1;
    this.smallPages = cfg.smallPages;
    this.lastPage = this.firstSmallPage - 1 + this.smallPages;
    this.shmemInodes = cfg.shmem.length;
    this.files4k = cfg.files4k.length;
    this.file4kPages = Math.max(0, ...cfg.files4k.map((f) => f.pages));
    this.blockBase = this.lastPage + 1;
    this.lastBlock = this.lastPage + this.files4k * this.file4kPages;
    this.threads = cfg.threads.length + 1;
    this.cfgNames4k = cfg.files4k.map((f) => f.name);

    this.smallSlotBase = new Int32Array(this.addrPages).fill(-1);
    let smallPtes = 0;
    for (const { slot, pages } of cfg.smallSlots) {
      this.smallSlotBase[slot] = smallPtes;
      smallPtes += pages;
    }
    this.smallPtes = smallPtes;

    this.inodeBase = GLOBALS;
    this.inodeStride = INODE_FIXED + 2 * this.filePages;
    this.shmemBase = this.inodeBase + this.files * this.inodeStride;
    this.shmemOffsets = [];
    let off = this.shmemBase;
    for (const { pages } of cfg.shmem) {
      this.shmemOffsets.push(off);
      off += SHMEM_FIXED + pages;
    }
    this.file4kBase = off;
    this.file4kStride = FILE4K_FIXED + 2 * this.file4kPages;
    this.mmBase = off + this.files4k * this.file4kStride;
    this.mmStride = MM_FIXED + this.vmaSlots * VMA_SIZE + this.addrPages + this.smallPtes;
    this.resvBase = this.mmBase + this.procs * this.mmStride;
    this.pageBase = this.resvBase + this.resvMaps * RESV_SIZE;
    this.threadBase = this.pageBase + this.lastBlock * PAGE_SIZE_WORDS;
    this.gupPages = cfg.gupPages ?? 1;
    this.gupBase = this.threadBase + this.threads * THREAD_SIZE;
    this.size = this.gupBase + this.threads * (this.gupPages - 1);
  }

  inode(f: number): number {
    return this.inodeBase + f * this.inodeStride;
  }
  /** Offset of the page-cache slot of (f, idx). */
  cache(f: number, idx: number): number {
    return this.inode(f) + INODE_FIXED + idx;
  }
  /** Offset of the hugetlb fault mutex of (f, idx). */
  faultMutex(f: number, idx: number): number {
    return this.inode(f) + INODE_FIXED + this.filePages + idx;
  }
  shmem(i: number): number {
    return this.shmemOffsets[i]!;
  }
  /** Offset of shmem inode i's page-cache slot for index idx. */
  shmemCache(i: number, idx: number): number {
    return this.shmem(i) + SHMEM_FIXED + idx;
  }
  file4k(f: number): number {
    return this.file4kBase + f * this.file4kStride;
  }
  /** Offset of the page-cache slot of 4 KiB file f at index idx. */
  file4kCache(f: number, idx: number): number {
    return this.file4k(f) + FILE4K_FIXED + idx;
  }
  /** Offset of the lock of the DAX mapping entry of (f, idx) (grab_mapping_entry, today). */
  daxEntryLock(f: number, idx: number): number {
    return this.file4k(f) + FILE4K_FIXED + this.file4kPages + idx;
  }
  /** The block slot holding 4 KiB file f's data at index idx. */
  block(f: number, idx: number): number {
    return this.blockBase + f * this.file4kPages + idx;
  }
  mm(p: number): number {
    return this.mmBase + p * this.mmStride;
  }
  /** A VMA handle is the offset of its slot. */
  vma(p: number, slot: number): number {
    return this.mm(p) + MM_FIXED + slot * VMA_SIZE;
  }
  /** The process a VMA handle belongs to. */
  vmaProc(vma: number): number {
    return Math.floor((vma - this.mmBase) / this.mmStride);
  }
  pte(p: number, addr: number): number {
    return this.mm(p) + MM_FIXED + this.vmaSlots * VMA_SIZE + addr;
  }
  /** Offset of process p's pte for 4 KiB page `page` of slot `slot`. */
  smallPte(p: number, slot: number, page: number): number {
    return this.mm(p) + MM_FIXED + this.vmaSlots * VMA_SIZE + this.addrPages + this.smallSlotBase[slot]! + page;
  }
  /** Every 4 KiB pte of process p, as offsets (for walks over all of them). */
  smallPteRange(p: number): [number, number] {
    const from = this.mm(p) + MM_FIXED + this.vmaSlots * VMA_SIZE + this.addrPages;
    return [from, from + this.smallPtes];
  }
  resv(id: number): number {
    return this.resvBase + (id - 1) * RESV_SIZE;
  }
  page(g: number): number {
    return this.pageBase + (g - 1) * PAGE_SIZE_WORDS;
  }
  thread(t: number): number {
    return this.threadBase + t * THREAD_SIZE;
  }
  /** The word of the j-th page (j ≥ 1) get_user_pages holds for thread t; the first is its L_GUP. */
  gupExtra(t: number, j: number): number {
    return this.gupBase + t * (this.gupPages - 1) + j - 1;
  }
  /** Every lock word held across steps, named as in the kernel (for lock-balance). */
  locks(): readonly { off: number; rw: boolean; name: string }[] {
    if (this.lockList) return this.lockList;
    const out: { off: number; rw: boolean; name: string }[] = [];
    for (let p = 0; p < this.procs; p++) {
      out.push({ off: this.mm(p) + MM_MMAP_WRITER, rw: true, name: `mmap_lock(mm${p})` });
      out.push({ off: this.mm(p) + MM_PTL, rw: false, name: `page_table_lock(mm${p})` });
    }
    for (let p = 0; p < this.procs; p++)
      for (let s = 0; s < this.vmaSlots; s++)
        out.push({ off: this.vma(p, s) + VM_LOCK_WRITER, rw: true, name: `hugetlb_vma_lock(mm${p}, vma slot ${s})` });
    for (let id = 1; id <= this.resvMaps; id++)
      out.push({ off: this.resv(id) + RESV_RW_WRITER, rw: true, name: `resv_map${id}->rw_sema` });
    for (let f = 0; f < this.files; f++) {
      out.push({ off: this.inode(f) + I_MMAP_WRITER, rw: true, name: `i_mmap_rwsem(file${f})` });
      out.push({ off: this.inode(f) + I_RWSEM, rw: false, name: `i_rwsem(file${f})` });
      for (let i = 0; i < this.filePages; i++)
        out.push({ off: this.faultMutex(f, i), rw: false, name: `hugetlb_fault_mutex(file${f}, ${i})` });
    }
    for (let f = 0; f < this.files4k; f++) {
      const name = this.cfgNames4k[f];
      out.push({ off: this.file4k(f) + F4_I_MMAP_WRITER, rw: true, name: `i_mmap_rwsem(${name})` });
      out.push({ off: this.file4k(f) + F4_INVALIDATE_WRITER, rw: true, name: `invalidate_lock(${name})` });
      out.push({ off: this.file4k(f) + F4_I_RWSEM, rw: false, name: `i_rwsem(${name})` });
      for (let i = 0; i < this.file4kPages; i++) out.push({ off: this.daxEntryLock(f, i), rw: false, name: `dax_entry_lock(${name}, ${i})` });
    }
    for (let g = 1; g <= this.lastPage; g++) {
      const name = g === this.zeroPage ? "folio_lock(zero page)" : g === this.hugeZeroPage ? "folio_lock(huge zero page)" : `folio_lock(page${g})`;
      out.push({ off: this.page(g) + PG_LOCK, rw: false, name });
    }
    this.lockList = out;
    return out;
  }

  /** The thread slot used to run the setup operations. */
  get setupThread(): number {
    return this.threads - 1;
  }
}
