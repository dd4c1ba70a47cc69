/**
 * A scenario resolved to numbers: the sizes of everything the state holds, and each thread's
 * list of operations. Built by scenarios/load.ts; constant during a search (not in the state).
 */
import type { Procedure } from "../core/procedure.js";
import type { StateView } from "../core/state-view.js";

/** One call of an operation, with every argument present so that all calls share one shape. */
export interface OpCall {
  readonly op: string;
  /**
   * A kernel procedure (model/types.ts), whose steps run on the kernel view. Typed by the core's
   * view: the kernel view is built from this configuration, which so does not depend on it.
   */
  readonly procedure: Procedure<StateView>;
  /** Text for traces and diagrams, e.g. `fault(parent, 2, write)`. */
  readonly text: string;
  /** The process whose mm the operation runs in. */
  readonly proc: number;
  /**
   * Virtual address and length, in huge pages; munmap and mprotect given in 4 KiB units
   * (`unit: 4k`) have fractions of them, where hugetlb_vm_op_split refuses to split.
   */
  readonly addr: number;
  readonly len: number;
  /** File (inode) index and offset in it, in huge pages. */
  readonly file: number;
  readonly pgoff: number;
  readonly shared: boolean;
  readonly noreserve: boolean;
  readonly writable: boolean;
  /** A fault's access is a write. */
  readonly write: boolean;
  /** fork: the process slot that becomes the child. */
  readonly child: number;
  /** ftruncate: the new size in huge pages. */
  readonly size: number;
  /** 4 KiB operations: the first 4 KiB page in the slot `addr`, and how many. */
  readonly page: number;
  readonly pages: number;
  /** mmap4k: maps the 4 KiB file `file` (files4k), MAP_PRIVATE, from its start. */
  readonly smallFile: boolean;
  /** mmap4k: MAP_POPULATE. */
  readonly populate: boolean;
  /** gup4k: FOLL_FORCE; pin_user_pages (FOLL_PIN) instead of get_user_pages (FOLL_GET); FOLL_LONGTERM. */
  readonly force: boolean;
  readonly pin: boolean;
  readonly longterm: boolean;
  /**
   * Fault injection for a fault: the insertion of its new page into the page cache fails with
   * -ENOMEM (hugetlb_add_to_page_cache), as an xarray allocation can.
   */
  readonly failAddToPageCache: boolean;
  /** The result the scenario expects (model/types.ts Result), or −1: checked by expected-result. */
  readonly expect: number;
  /** migrate: MPOL_MF_MOVE_ALL, a page mapped by several processes moves too. */
  readonly moveAll: boolean;
  /** mmap4k: a 2 MiB anonymous private mapping of the whole slot with madvise(MADV_HUGEPAGE). */
  readonly thp: boolean;
}

export interface FileConfig {
  readonly name: string;
  /** Indices the model tracks: the file never grows past this many huge pages. */
  readonly pages: number;
  readonly isize: number;
  /** MAP_HUGETLB's internal file: it has no name, and goes when its last mapping does. */
  readonly anon: boolean;
  /**
   * Seed 002's /dev/page-huge, a /dev/zero for huge pages. Today's equivalent is a
   * MAP_ANONYMOUS|MAP_HUGETLB mapping, so the file is also `anon`.
   */
  readonly device: boolean;
  /**
   * The hugetlbfs mount options `size=` and `min_size=` of the file's own mount, in huge pages
   * (hugepage_new_subpool's max_hpages and min_hpages); −1 when not given. A file with neither
   * is on a mount without a subpool.
   */
  readonly maxHpages: number;
  readonly minHpages: number;
}

/** A file of 4 KiB pages on a block filesystem (filemap_fault) or a DAX one (seed 004). */
export interface File4kConfig {
  readonly name: string;
  readonly pages: number;
  /** i_size at the start, in 4 KiB pages. */
  readonly isize: number;
  readonly dax: boolean;
  /** Its blocks hold data at the start; otherwise the file is sparse (all holes). */
  readonly data: boolean;
}

export interface ThreadConfig {
  readonly name: string;
  readonly proc: number;
  readonly ops: readonly OpCall[];
}

/**
 * How the modelled kernel was built and booted: configuration, not history (history is the
 * variant). A host's profile (conform/host.ts) gives the configuration of the kernel it runs.
 */
export interface KernelConfig {
  /**
   * "mapped": a private anonymous read fault maps the shared zero page. "forbidden":
   * mm_forbids_zeropage() is true (s390 KVM guests, kernels booted with `pvm_no_zero_page=1`),
   * so do_anonymous_page allocates a zeroed page for reads too.
   */
  readonly zeroPage: "mapped" | "forbidden";
  /**
   * /sys/kernel/mm/transparent_hugepage/enabled: "always" (every suitable anonymous VMA),
   * "madvise" (only VMAs with MADV_HUGEPAGE), "never" (thp_vma_allowable_order refuses all).
   */
  readonly thp: "always" | "madvise" | "never";
  /**
   * /sys/kernel/mm/transparent_hugepage/use_zero_page: a read fault of a THP-able VMA maps the
   * huge zero page (unless mm_forbids_zeropage) instead of allocating a THP.
   */
  readonly thpZeroPage: boolean;
}

export const ZERO_PAGE_MODES = ["mapped", "forbidden"] as const;
export const THP_MODES = ["always", "madvise", "never"] as const;

/** Mainline x86 as booted by default (CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS, use_zero_page 1). */
export const DEFAULT_KERNEL_CONFIG: KernelConfig = { zeroPage: "mapped", thp: "always", thpZeroPage: true };

export interface ModelConfig {
  /** The kernel's configuration (see KernelConfig). */
  readonly kernel: KernelConfig;
  readonly pool: { readonly pages: number; readonly overcommit: number };
  readonly files: readonly FileConfig[];
  readonly processes: readonly { readonly name: string; readonly alive: boolean }[];
  /** Size of each process's address space, in huge pages. */
  readonly addrPages: number;
  /** VMA slots per process: a split needs a free slot. */
  readonly vmaSlots: number;
  /** Private reserve-map slots (one per MAP_PRIVATE mmap that may be live at once). */
  readonly resvMaps: number;
  /**
   * Huge-page slots of the address space that hold 4 KiB anonymous memory, each with the most
   * 4 KiB pages a mapping there has: every process keeps that many 4 KiB ptes for the slot.
   */
  readonly smallSlots: readonly { readonly slot: number; readonly pages: number }[];
  /** One shmem inode per MAP_SHARED mmap4k call of the scenario (its `file`), with its size. */
  readonly shmem: readonly { readonly pages: number }[];
  readonly files4k: readonly File4kConfig[];
  /** 4 KiB page slots: enough for every copy the scenario can make at once. */
  readonly smallPages: number;
  /** The scenario maps THP-able memory (mmap4k `thp`): the state has a huge zero page. */
  readonly thp: boolean;
  /**
   * How many PMD-order pages the buddy allocator can give at once (`thp_pages`): a THP
   * allocation beyond them fails, and the fault falls back to 4 KiB pages.
   */
  readonly thpPages: number;
  /** The most 4 KiB pages one get_user_pages call of the scenario takes (gup4k `pages`; default 1). */
  readonly gupPages?: number;
  /** Operations run one after another before the search starts (not part of the state graph). */
  readonly setup: readonly { readonly proc: number; readonly ops: readonly OpCall[] }[];
  readonly threads: readonly ThreadConfig[];
}
