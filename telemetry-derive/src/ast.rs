//! The derive's input as a typed model that keeps references into the original syntax, so that
//! later phases can point errors at the narrowest token.

use syn::{Attribute, Data, DeriveInput, Fields, Generics, Ident, Type};

/// A derive input, classified by shape.
pub(crate) struct Input<'a> {
    /// The type's name.
    pub(crate) ident: &'a Ident,
    /// The type's generic parameters; an event may have none.
    pub(crate) generics: &'a Generics,
    /// The attributes on the type (doc comments, `#[telemetry]`, `#[serde]`, ...).
    pub(crate) attrs: &'a [Attribute],
    /// What kind of item it is.
    pub(crate) shape: Shape<'a>,
}

/// The kinds of items a derive can be applied to.
pub(crate) enum Shape<'a> {
    /// `struct S { a: A, ... }`: the only shape an event can have.
    Named(Vec<Field<'a>>),
    /// `struct S(A, ...);`
    Tuple(&'a syn::FieldsUnnamed),
    /// `struct S;`
    Unit,
    /// `enum E { ... }`
    Enum(&'a syn::token::Enum),
    /// `union U { ... }`
    Union(&'a syn::token::Union),
}

/// A named field of a struct.
pub(crate) struct Field<'a> {
    /// The field's name.
    pub(crate) ident: &'a Ident,
    /// The field's type.
    pub(crate) ty: &'a Type,
    /// The attributes on the field.
    pub(crate) attrs: &'a [Attribute],
}

impl<'a> Input<'a> {
    /// Classifies a parsed derive input.
    pub(crate) fn from_syn(input: &'a DeriveInput) -> Self {
        let shape = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(fields) => Shape::Named(
                    fields
                        .named
                        .iter()
                        .filter_map(|field| {
                            Some(Field {
                                ident: field.ident.as_ref()?,
                                ty: &field.ty,
                                attrs: &field.attrs,
                            })
                        })
                        .collect(),
                ),
                Fields::Unnamed(fields) => Shape::Tuple(fields),
                Fields::Unit => Shape::Unit,
            },
            Data::Enum(data) => Shape::Enum(&data.enum_token),
            Data::Union(data) => Shape::Union(&data.union_token),
        };
        Input {
            ident: &input.ident,
            generics: &input.generics,
            attrs: &input.attrs,
            shape,
        }
    }

    /// The named fields, or none when the input has another shape.
    pub(crate) fn fields(&self) -> &[Field<'a>] {
        match &self.shape {
            Shape::Named(fields) => fields,
            _ => &[],
        }
    }
}

/// Whether values of `ty` are sent hashed: `Hashed<..>`, also inside `Option`, `Vec` or `Box`.
/// Read from the syntax: a type alias of `Hashed` is not seen through.
pub(crate) fn is_hashed(ty: &Type) -> bool {
    let Type::Path(path) = ty else {
        return false;
    };
    let Some(last) = path.path.segments.last() else {
        return false;
    };
    if last.ident == "Hashed" {
        return true;
    }
    let wrapper = ["Option", "Vec", "Box"]
        .iter()
        .any(|name| last.ident == name);
    match &last.arguments {
        syn::PathArguments::AngleBracketed(arguments) if wrapper => {
            arguments.args.iter().any(|argument| match argument {
                syn::GenericArgument::Type(inner) => is_hashed(inner),
                _ => false,
            })
        }
        _ => false,
    }
}

/// Whether the attributes carry a non-empty doc comment.
pub(crate) fn has_doc(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("doc")
            && match &attr.meta {
                syn::Meta::NameValue(meta) => match &meta.value {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(text),
                        ..
                    }) => !text.value().trim().is_empty(),
                    // `#[doc = include_str!(...)]` and the like: trust it to say something.
                    _ => true,
                },
                _ => false,
            }
    })
}
