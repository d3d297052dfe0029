import type { ErrorDef } from './index.js';

export const INGEST_ERRORS = {
  MW_ERR_INGEST_UNREADABLE: { status: 400, title: 'An input path cannot be read (missing, a directory without files, or no permission)' },
  MW_ERR_INGEST_UNKNOWN_FORMAT: { status: 400, title: 'The format of a file could not be recognised from its content; pass --format' },
  MW_ERR_INGEST_BAD_FORMAT_NAME: { status: 400, title: '--format names a format that does not exist' },
  MW_ERR_INGEST_DOCUMENT_TOO_LARGE: { status: 413, title: 'A whole-document input (JSON document) exceeds the in-memory cap' },
  MW_ERR_STORE_OPEN: { status: 500, title: 'The store cannot be opened (locked by another process, or not a MirrorWatch database)' },
  MW_ERR_REFERENCE_EMPTY: { status: 400, title: 'A reference file holds no usable rows' },
} as const satisfies Record<string, ErrorDef>;
