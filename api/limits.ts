import { GraphQLError, Kind, type ASTVisitor, type SelectionSetNode, type ValidationContext } from 'graphql';

/**
 * At most this many root fields per operation. The schema has no cycles, so depth is bounded by
 * the types; breadth is not: a thousand aliases of `toolUsage` in one request would be a cheap way
 * for any tailnet member to load the database. 20 is far above what the dashboard sends.
 */
export const MAX_ROOT_FIELDS = 20;

export function maxRootFieldsRule(context: ValidationContext): ASTVisitor {
  return {
    OperationDefinition(node) {
      const count = countFields(context, node.selectionSet, new Set());
      if (count > MAX_ROOT_FIELDS) {
        context.reportError(new GraphQLError(`an operation may select at most ${MAX_ROOT_FIELDS} root fields; this one selects ${count}`, { nodes: node }));
      }
    },
  };
}

function countFields(context: ValidationContext, selectionSet: SelectionSetNode, seenFragments: Set<string>): number {
  let count = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      count += 1;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      count += countFields(context, selection.selectionSet, seenFragments);
    } else {
      const name = selection.name.value;
      if (seenFragments.has(name)) continue; // cycles are reported by graphql's own NoFragmentCycles rule
      seenFragments.add(name);
      const fragment = context.getFragment(name);
      if (fragment) count += countFields(context, fragment.selectionSet, seenFragments);
    }
  }
  return count;
}
