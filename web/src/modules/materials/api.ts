/** Materials library: materials (filters, keyset pages), file uploads, folders and tags. */
import { api, unwrap } from '@/api/client'
import type { components } from '@/api/schema'

type Schemas = components['schemas']
export type Material = Schemas['Material']
export type MaterialDetail = Schemas['MaterialDetail']
export type MaterialCreate = Schemas['MaterialCreate']
export type MaterialUpdate = Schemas['MaterialUpdate']
export type MaterialFolder = Schemas['MaterialFolder']
export type MaterialFile = Schemas['MaterialFileInfo']
export type MaterialTagCount = Schemas['MaterialTagCount']
export type MaterialKind = Material['kind']
export type MediaType = 'image' | 'video' | 'file'
export type MaterialPage = Schemas['Page_Material_']

export const KINDS: MaterialKind[] = ['text', 'image', 'link', 'miniprogram', 'file', 'video', 'poster']
/** The file each kind takes (and whether it must have one), as the API checks it. */
export const FILE_OF: Record<MaterialKind, { media: MediaType | null; required: boolean }> = {
  text: { media: null, required: false },
  image: { media: 'image', required: true },
  link: { media: 'image', required: false },
  miniprogram: { media: 'image', required: true },
  file: { media: 'file', required: true },
  video: { media: 'video', required: true },
  poster: { media: 'image', required: true },
}
/** What the file input offers for each media type (WeCom's formats). */
export const ACCEPT: Record<MediaType, string> = {
  image: 'image/png,image/jpeg',
  video: 'video/mp4',
  file: '*/*',
}

export interface MaterialQuery {
  kind?: MaterialKind | null
  folder_id?: string | null
  unfiled?: boolean
  tag?: string | null
  q?: string | null
}

const path = (corpId: string) => ({ corp_id: corpId })

export function listMaterials(corpId: string, query: MaterialQuery, cursor: string | null): Promise<MaterialPage> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/materials', {
      params: {
        path: path(corpId),
        query: {
          kind: query.kind ?? undefined,
          folder_id: query.folder_id ?? undefined,
          unfiled: query.unfiled || undefined,
          tag: query.tag || undefined,
          q: query.q || undefined,
          cursor: cursor ?? undefined,
        },
      },
    }),
  )
}

export function getMaterial(corpId: string, id: string): Promise<MaterialDetail> {
  return unwrap(
    api.GET('/api/v1/corps/{corp_id}/materials/{material_id}', {
      params: { path: { corp_id: corpId, material_id: id } },
    }),
  )
}

export function createMaterial(corpId: string, body: MaterialCreate): Promise<MaterialDetail> {
  return unwrap(api.POST('/api/v1/corps/{corp_id}/materials', { params: { path: path(corpId) }, body }))
}

export function updateMaterial(corpId: string, id: string, body: MaterialUpdate): Promise<MaterialDetail> {
  return unwrap(
    api.PATCH('/api/v1/corps/{corp_id}/materials/{material_id}', {
      params: { path: { corp_id: corpId, material_id: id } },
      body,
    }),
  )
}

export async function deleteMaterial(corpId: string, id: string): Promise<void> {
  await unwrap(
    api.DELETE('/api/v1/corps/{corp_id}/materials/{material_id}', {
      params: { path: { corp_id: corpId, material_id: id } },
    }),
  )
}

export function uploadFile(corpId: string, file: File, mediaType: MediaType): Promise<MaterialFile> {
  return unwrap(
    api.POST('/api/v1/corps/{corp_id}/material-files', {
      params: { path: path(corpId), query: { media_type: mediaType, file_name: file.name } },
      // The file itself is the body (no multipart): send it untouched.
      body: file as unknown as string,
      bodySerializer: (body: unknown) => body as BodyInit,
      headers: { 'Content-Type': file.type || 'application/octet-stream' },
    }),
  ) as Promise<MaterialFile>
}

export function fileUrl(corpId: string, id: string): string {
  return `/api/v1/corps/${corpId}/materials/${id}/file`
}

export function listFolders(corpId: string): Promise<MaterialFolder[]> {
  return unwrap(api.GET('/api/v1/corps/{corp_id}/material-folders', { params: { path: path(corpId) } }))
}

export function createFolder(corpId: string, name: string, position: number): Promise<MaterialFolder> {
  return unwrap(
    api.POST('/api/v1/corps/{corp_id}/material-folders', {
      params: { path: path(corpId) },
      body: { name, position },
    }),
  )
}

export async function deleteFolder(corpId: string, id: string): Promise<void> {
  await unwrap(
    api.DELETE('/api/v1/corps/{corp_id}/material-folders/{folder_id}', {
      params: { path: { corp_id: corpId, folder_id: id } },
    }),
  )
}

export function listTags(corpId: string): Promise<MaterialTagCount[]> {
  return unwrap(api.GET('/api/v1/corps/{corp_id}/material-tags', { params: { path: path(corpId) } }))
}

export function renameTag(corpId: string, tag: string, name: string): Promise<{ materials: number }> {
  return unwrap(
    api.PUT('/api/v1/corps/{corp_id}/material-tags/{tag}', {
      params: { path: { corp_id: corpId, tag } },
      body: { name },
    }),
  )
}

export function deleteTag(corpId: string, tag: string): Promise<{ materials: number }> {
  return unwrap(
    api.DELETE('/api/v1/corps/{corp_id}/material-tags/{tag}', { params: { path: { corp_id: corpId, tag } } }),
  )
}
